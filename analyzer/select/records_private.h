/*
 * records_private.h - the store's handle, shared by records.c (store and
 * ingest) and recselect.c (selection with records) only; nothing else
 * sees inside it.
 */
#ifndef IMPACT_RECORDS_PRIVATE_H
#define IMPACT_RECORDS_PRIVATE_H

#include <sqlite3.h>

struct impact_records {
	sqlite3 *db;
	char *path; /* the store's file, for messages */
};

#endif
