/*
 * gate.c - the ranges gates, hooks and CI compare (see gate.h).
 *
 * Ranges are written with unique abbreviated commit ids rather than ref
 * names, so what runs is exactly what was decided here even if a ref
 * moves meanwhile, and the run's one-line summary stays readable.
 * When a base cannot be found the answer is an error saying what to pass,
 * never a guess that could test too little.
 */
#include "gate.h"

#include "buf.h"

#define SHALLOW_HINT "hint: this is a shallow clone: fetch the history " \
                     "(git fetch --unshallow; in GitHub Actions: fetch-depth: 0)"

/* A unique abbreviation of `id` into `out` (cleared); the full id if it cannot be read. */
static void short_id(impact_buf *out, git_repository *repo, const git_oid *id)
{
	git_object *obj = NULL;
	git_buf b = GIT_BUF_INIT;
	impact_buf_clear(out);
	if (git_object_lookup(&obj, repo, id, GIT_OBJECT_ANY) == 0 &&
	    git_object_short_id(&b, obj) == 0)
		impact_buf_puts(out, b.ptr);
	else
		impact_buf_puts(out, git_oid_tostr_s(id));
	git_buf_dispose(&b);
	git_object_free(obj);
}

/* `refname` peeled to a commit id; false when it does not exist or is no commit. */
static bool ref_commit(git_oid *out, git_repository *repo, const char *refname)
{
	git_object *obj = NULL;
	git_reference *ref = NULL;
	bool ok = false;
	if (git_reference_lookup(&ref, repo, refname) == 0 &&
	    git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
		git_oid_cpy(out, git_object_id(obj));
		ok = true;
	}
	git_object_free(obj);
	git_reference_free(ref);
	return ok;
}

/* The short name to say for `refname`: a symbolic ref names its target. Caller frees. */
static char *ref_display(git_repository *repo, const char *refname)
{
	git_reference *ref = NULL, *target = NULL;
	char *name;
	if (git_reference_lookup(&ref, repo, refname) < 0)
		return impact_xstrdup(refname);
	if (git_reference_type(ref) == GIT_REFERENCE_SYMBOLIC &&
	    git_reference_resolve(&target, ref) == 0)
		name = impact_xstrdup(git_reference_shorthand(target));
	else
		name = impact_xstrdup(git_reference_shorthand(ref));
	git_reference_free(target);
	git_reference_free(ref);
	return name;
}

static bool is_zero_hex(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s != '0')
			return false;
	return true;
}

int impact_gate_range(char **out, char **why, git_repository *repo, const char *spec)
{
	static const char *const bases[] = {
		"refs/remotes/origin/HEAD", "refs/remotes/origin/main", "refs/heads/main",
	};
	impact_buf sid = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT, tried = IMPACT_BUF_INIT;
	git_oid head, tip, base;
	bool any = false;
	int err, rc = 0;

	*out = NULL;
	*why = NULL;
	if (spec) {
		*out = impact_xstrdup(spec);
		*why = impact_xstrdup("the range given");
		return 0;
	}
	err = git_reference_name_to_id(&head, repo, "HEAD");
	if (err < 0) {
		rc = err == GIT_ENOTFOUND || err == GIT_EUNBORNBRANCH
		     ? impact_error_set(IMPACT_EUNBORN, "HEAD has no commit yet: --gate compares commits")
		     : impact_error_from_git(err, "cannot read HEAD");
		goto done;
	}
	for (size_t i = 0; i < IMPACT_ARRAY_SIZE(bases); i++) {
		char *name;
		if (!ref_commit(&tip, repo, bases[i]))
			continue;
		any = true;
		name = ref_display(repo, bases[i]);
		err = git_merge_base(&base, repo, &head, &tip);
		if (err < 0) {
			impact_buf_printf(&tried, "%s'%s'", tried.size ? ", " : "", name);
			free(name);
			continue;
		}
		if (git_oid_equal(&base, &head)) {
			/* HEAD is already on the base branch (CI on main): its own commit. */
			*out = impact_xstrdup("HEAD");
			impact_buf_printf(&text, "base: HEAD is already in %s: testing its last commit "
			                  "(give a range to test more)", name);
		} else {
			short_id(&sid, repo, &base);
			impact_buf_printf(&text, "%s..HEAD", sid.ptr);
			*out = impact_buf_detach(&text);
			impact_buf_printf(&text, "base: merge base with %s (%s)", name, sid.ptr);
		}
		*why = impact_buf_detach(&text);
		free(name);
		goto done;
	}
	if (any)
		impact_buf_printf(&text, "--gate found no merge base of HEAD with %s: give the "
		                  "range, e.g. 'impact --gate <base>...HEAD'", tried.ptr);
	else
		impact_buf_puts(&text, "--gate found no base: none of origin/HEAD, origin/main, main "
		                "exists here; give the range, e.g. 'impact --gate origin/master...HEAD'");
	if (git_repository_is_shallow(repo) == 1)
		impact_buf_puts(&text, "\n" SHALLOW_HINT);
	rc = impact_error_set(IMPACT_EINVALID, "%s", text.ptr);
done:
	impact_buf_release(&sid);
	impact_buf_release(&text);
	impact_buf_release(&tried);
	return rc;
}

/* A new branch: the commits of `local` not on the remote's default branch (or main). */
static void new_branch_range(impact_push_range *r, git_repository *repo, const char *remote,
                             const git_oid *local, const char *prefix)
{
	const char *const forms[] = { "refs/remotes/%s/HEAD", "refs/remotes/%s/main" };
	impact_buf refname = IMPACT_BUF_INIT, text = IMPACT_BUF_INIT, a = IMPACT_BUF_INIT,
	           b = IMPACT_BUF_INIT;
	git_oid tip, base;

	for (size_t i = 0; i <= IMPACT_ARRAY_SIZE(forms); i++) {
		char *name;
		impact_buf_clear(&refname);
		if (i < IMPACT_ARRAY_SIZE(forms))
			impact_buf_printf(&refname, forms[i], remote);
		else
			impact_buf_puts(&refname, "refs/heads/main");
		/* Comparing a branch with itself says nothing (first push of main). */
		if (!strcmp(refname.ptr, r->local_ref) || !ref_commit(&tip, repo, refname.ptr) ||
		    git_merge_base(&base, repo, local, &tip) < 0)
			continue;
		name = ref_display(repo, refname.ptr);
		short_id(&a, repo, &base);
		if (git_oid_equal(&base, local)) {
			impact_buf_printf(&text, "%snew branch: every commit is already on %s: "
			                  "nothing new to test", prefix, name);
		} else {
			short_id(&b, repo, local);
			impact_buf_printf(&text, "%s..%s", a.ptr, b.ptr);
			r->spec = impact_buf_detach(&text);
			impact_buf_printf(&text, "%snew branch: the commits not on %s (merge base %s)",
			                  prefix, name, a.ptr);
		}
		r->why = impact_buf_detach(&text);
		free(name);
		goto done;
	}
	short_id(&b, repo, local);
	r->spec = impact_xstrdup(b.ptr);
	impact_buf_printf(&text, "%snew branch with no %s/HEAD, %s/main or main to compare "
	                  "with: testing its last commit", prefix, remote, remote);
	r->why = impact_buf_detach(&text);
done:
	impact_buf_release(&refname);
	impact_buf_release(&text);
	impact_buf_release(&a);
	impact_buf_release(&b);
}

/* One line of pre-push input into `r`. */
static int push_line(impact_push_range *r, git_repository *repo, const char *remote,
                     char **f)
{
	impact_buf text = IMPACT_BUF_INIT, a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT,
	           prefix = IMPACT_BUF_INIT;
	git_oid local, theirs;
	git_odb *odb = NULL;
	bool have_theirs = false;
	int rc = 0;

	r->local_ref = impact_xstrdup(f[0]);
	if (is_zero_hex(f[1])) {
		impact_buf_printf(&text, "deletes %s: nothing to test", f[2]);
		r->why = impact_buf_detach(&text);
		goto done;
	}
	if (git_oid_fromstr(&local, f[1]) < 0 ||
	    (!is_zero_hex(f[3]) && git_oid_fromstr(&theirs, f[3]) < 0)) {
		rc = impact_error_set(IMPACT_EINVALID, "pre-push: '%s %s %s %s' is not what git "
		                      "passes (<local ref> <local sha> <remote ref> <remote sha>)",
		                      f[0], f[1], f[2], f[3]);
		goto done;
	}
	git_oid_cpy(&r->local, &local);
	if (!is_zero_hex(f[3])) {
		if (git_repository_odb(&odb, repo) == 0)
			have_theirs = git_odb_exists(odb, &theirs) == 1;
		if (!have_theirs)
			impact_buf_printf(&prefix, "%s is at %.7s, which is not here (fetch first); ",
			                  f[2], f[3]);
	}
	if (have_theirs) {
		short_id(&a, repo, &theirs);
		short_id(&b, repo, &local);
		if (git_oid_equal(&theirs, &local)) {
			impact_buf_printf(&text, "%s is already at %s: nothing to test", f[2], b.ptr);
		} else {
			impact_buf_printf(&text, "%s..%s", a.ptr, b.ptr);
			r->spec = impact_buf_detach(&text);
			impact_buf_printf(&text, "updates %s from %s to %s", f[2], a.ptr, b.ptr);
		}
		r->why = impact_buf_detach(&text);
		goto done;
	}
	new_branch_range(r, repo, remote, &local, prefix.ptr);
done:
	git_odb_free(odb);
	impact_buf_release(&text);
	impact_buf_release(&a);
	impact_buf_release(&b);
	impact_buf_release(&prefix);
	return rc;
}

int impact_gate_push_ranges(impact_push_ranges *out, git_repository *repo,
                            const char *remote, const char *input, size_t len)
{
	const char *p = input, *end = input + len;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t linelen = (size_t)(eol - p);
		char *line = impact_xstrndup(p, linelen), *f[5] = { 0 }, *s = line;
		size_t nf = 0;
		impact_push_range r = { 0 };

		p = nl ? nl + 1 : end;
		while (nf < 5) {
			while (*s == ' ' || *s == '\t' || *s == '\r')
				*s++ = '\0';
			if (!*s)
				break;
			f[nf++] = s;
			while (*s && *s != ' ' && *s != '\t' && *s != '\r')
				s++;
		}
		if (nf == 0) {
			free(line);
			continue;
		}
		if (nf != 4) {
			rc = impact_error_set(IMPACT_EINVALID, "pre-push: cannot read the line '%.*s' "
			                      "(git passes <local ref> <local sha> <remote ref> <remote sha>)",
			                      (int)linelen, eol - linelen);
			free(line);
			break;
		}
		rc = push_line(&r, repo, remote, f);
		IMPACT_PUSH(out->items, out->n, out->alloc, r);
		free(line);
	}
	if (rc < 0)
		impact_push_ranges_release(out);
	return rc;
}

void impact_push_ranges_release(impact_push_ranges *ranges)
{
	if (!ranges)
		return;
	for (size_t i = 0; i < ranges->n; i++) {
		free(ranges->items[i].local_ref);
		free(ranges->items[i].spec);
		free(ranges->items[i].why);
	}
	free(ranges->items);
	memset(ranges, 0, sizeof(*ranges));
}

int impact_gate_rewrite_range(char **out, char **why, git_repository *repo,
                              const char *input, size_t len)
{
	impact_buf text = IMPACT_BUF_INIT, a = IMPACT_BUF_INIT, b = IMPACT_BUF_INIT;
	git_commit *first = NULL;
	git_oid head, first_id, old_tip, base;
	bool have_first = false, have_old = false;
	int err, rc = 0;

	*out = NULL;
	*why = NULL;
	if ((err = git_reference_name_to_id(&head, repo, "HEAD")) < 0) {
		rc = impact_error_from_git(err, "cannot read HEAD");
		goto done;
	}
	/* The first line: "<old sha> <new sha> [<extra>]". */
	if (len) {
		size_t n = 0;
		char *line, *sp;
		while (n < len && input[n] != '\n')
			n++;
		line = impact_xstrndup(input, n);
		sp = strchr(line, ' ');
		if (sp) {
			*sp++ = '\0';
			sp[strcspn(sp, " \r")] = '\0';
			have_old = git_oid_fromstr(&old_tip, line) == 0;
			have_first = git_oid_fromstr(&first_id, sp) == 0;
		}
		free(line);
	}
	short_id(&b, repo, &head);
	if (have_first && (git_oid_equal(&first_id, &head) ||
	                   git_graph_descendant_of(repo, &head, &first_id) == 1) &&
	    git_commit_lookup(&first, repo, &first_id) == 0) {
		if (git_commit_parentcount(first) == 0) {
			/* Rebased onto nothing (--root): the root's own files have no older side. */
			short_id(&a, repo, &first_id);
			if (git_oid_equal(&first_id, &head)) {
				*out = impact_xstrdup(b.ptr);
			} else {
				impact_buf_printf(&text, "%s..%s", a.ptr, b.ptr);
				*out = impact_buf_detach(&text);
			}
			impact_buf_printf(&text, "the rebased commits from the root commit %s", a.ptr);
		} else {
			short_id(&a, repo, git_commit_parent_id(first, 0));
			impact_buf_printf(&text, "%s..%s", a.ptr, b.ptr);
			*out = impact_buf_detach(&text);
			short_id(&a, repo, &first_id);
			impact_buf_printf(&text, "the rebased commits, from %s", a.ptr);
		}
		*why = impact_buf_detach(&text);
		goto done;
	}
	/* No usable pairs (a hook manager may not pass them): the old tip git kept. */
	if (!have_old && git_reference_name_to_id(&old_tip, repo, "ORIG_HEAD") == 0)
		have_old = true;
	if (have_old && git_merge_base(&base, repo, &old_tip, &head) == 0 &&
	    !git_oid_equal(&base, &head)) {
		short_id(&a, repo, &base);
		impact_buf_printf(&text, "%s..%s", a.ptr, b.ptr);
		*out = impact_buf_detach(&text);
		impact_buf_printf(&text, "the rebased commits, from the merge base %s with the old tip",
		                  a.ptr);
		*why = impact_buf_detach(&text);
		goto done;
	}
	rc = impact_error_set(IMPACT_ENOTFOUND, "the rewrite left nothing new to test");
done:
	git_commit_free(first);
	impact_buf_release(&text);
	impact_buf_release(&a);
	impact_buf_release(&b);
	return rc;
}
