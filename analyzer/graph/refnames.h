/*
 * refnames.h - the names each module's facts are looked up under, kept
 * with the cached graph: name -> the files whose facts hold it.
 *
 * The precise walk (analyzer/select/precise_index.c) looks references up
 * by name: the last part of a target's name, the name a `from m import`
 * binds, a class's name. Without this, its first lookup needed every
 * module's facts of the whole-module reach loaded and indexed; with it, a
 * warm walk loads the facts of the files a lookup names only. What a
 * file's facts are indexed under is decided here, once
 * (impact_refnames_each), for the stored index and the walk's own alike,
 * so the two cannot disagree.
 *
 * Stored as one part of the graph file (projcache.c), read where it is
 * mapped; built when the graph is stored, from every file's whole facts,
 * or for a patched graph from the old tree's index and the changed
 * files' new facts (impact_refnames_patch: the same bytes).
 */
#ifndef IMPACT_REFNAMES_H
#define IMPACT_REFNAMES_H

#include "buf.h"
#include "common.h"
#include "pyimports.h"

/* What a name of a file's facts is (the first byte of a stored key). */
enum {
	IMPACT_RN_REF = 'r',     /* a reference, under a part of its name (index: the reference) */
	IMPACT_RN_BIND = 'b',    /* `from m import name` (index: the import) */
	IMPACT_RN_GETATTR = 'g', /* getattr(obj, name) with a computed name (no name; index: the reference) */
	IMPACT_RN_STAR = 's',    /* `from m import *` (no name; index: the import) */
	IMPACT_RN_CLASS = 'c',   /* a class is defined (no name; index: the symbol) */
	IMPACT_RN_DEF = 'd',     /* a symbol, under the last part of its name (index: the symbol) */
	IMPACT_RN_UNKNOWN = '?', /* no name: the file's names are not known (its facts were not at hand) */
};

/* Longer names are not stored: whoever looks one up reads every file. */
#define IMPACT_RN_MAX_NAME 254

typedef void (*impact_refnames_fn)(void *ctx, int kind, const char *s, size_t len, uint32_t index);

/*
 * Every name of whole facts `f`, in the order the walk's index takes
 * them: each reference in order (under each part of a chain, the head
 * included; a typed local's under its attributes; none for what the walk
 * never looks up), then each import, then each symbol.
 */
void impact_refnames_each(const impact_pyfacts *f, impact_refnames_fn fn, void *ctx);

/*
 * The calls impact_refnames_each makes for name `name` (NUL-terminated)
 * of `kind` only, in the same order: a lookup reads a file for one name.
 */
void impact_refnames_each_named(const impact_pyfacts *f, int kind, const char *name, impact_refnames_fn fn,
                                void *ctx);

/* A stored index, read in place (borrowed bytes: the mapped graph file). */
typedef struct impact_refnames {
	const uint32_t *hash, *val;
	const unsigned char *bytes;
	uint32_t nkeys, nbytes;
} impact_refnames;

/*
 * The index in `data` (len bytes, 4-aligned): 0, or IMPACT_EINVALID when
 * its sizes do not add up. Each list is checked again when read.
 */
int impact_refnames_view(impact_refnames *v, const void *data, size_t len);

/*
 * The files (ascending) whose facts may hold name `s` (len bytes, at most
 * IMPACT_RN_MAX_NAME) of `kind`, into *out (cleared first): false when
 * none, or when the list is damaged (ids at or past nfiles: then the
 * caller cannot tell, which the checksum makes moot). Names stored under
 * one hash share a list (refnames.c): the list holds every file of the
 * name and maybe others, so it says what to read, never what is there.
 */
bool impact_refnames_files(const impact_refnames *v, int kind, const char *s, size_t len,
                           uint32_t nfiles, impact_u32vec *out);

/* Building an index: names added file by file, in any order. */
typedef struct impact_refnames_builder impact_refnames_builder;

impact_refnames_builder *impact_refnames_builder_new(void);
void impact_refnames_builder_free(impact_refnames_builder *b);
/* Every name of whole facts `f` under `file`. */
void impact_refnames_builder_add_facts(impact_refnames_builder *b, uint32_t file,
                                       const impact_pyfacts *f);
/* File `file`'s names are not known: the walk reads its facts for every name. */
void impact_refnames_builder_add_unknown(impact_refnames_builder *b, uint32_t file);
/*
 * Index `old` with the files keep[] says no to (ids below nfiles) left out,
 * and the names in `fresh` (those files' new names) added, into `out`
 * (emptied first): the bytes impact_refnames_builder_encode gives for the same
 * names, in one pass over the old index (a patch names few files again).
 * `gone`, when not NULL, holds every name the old index has the left-out
 * files under (their old facts: files whose names it did not know are
 * under the unknown key, which counts always): the lists of other names
 * are copied as they are, unread. `fresh` and `gone` are sorted on the
 * way: nothing is added to them after.
 */
void impact_refnames_patch(const impact_refnames *old, const bool *keep, uint32_t nfiles,
                           impact_refnames_builder *fresh, impact_refnames_builder *gone,
                           impact_buf *out);
/* The index's bytes into `out`, emptied first (a multiple of 4 long); nothing is added after. */
void impact_refnames_builder_encode(impact_refnames_builder *b, impact_buf *out);

#endif
