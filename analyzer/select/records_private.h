/*
 * records_private.h - the store's handle, shared by records.c (store and
 * ingest), recadmin.c (the store as a whole), recselect.c and reccache.c
 * (selection with records) only; nothing else sees inside it.
 */
#ifndef IMPACT_RECORDS_PRIVATE_H
#define IMPACT_RECORDS_PRIVATE_H

#include <sqlite3.h>

struct impact_records {
	sqlite3 *db;
	char *path; /* the store's file, for messages */
};

/* Set an error saying the store cannot `what` (sqlite's message, and the way out); returns it. */
int impact_records__db_error(impact_records *rec, const char *what);

#endif
