/*
 * status.h - the status words of DESIGN.md, one table for the whole daemon.
 *
 * The same lowercase word is used in the database, the API, the CLI and the
 * logs; status.c holds the only copy of the table.
 */
#ifndef SB_STATUS_H
#define SB_STATUS_H

enum sb_status {
	SB_ST_SCHEDULED = 0,
	SB_ST_BLOCKED_TIME,
	SB_ST_QUEUED,
	SB_ST_SENDING,
	SB_ST_ACCEPTED,
	SB_ST_DELIVERED,
	SB_ST_READ,
	SB_ST_UNDELIVERABLE,
	SB_ST_FAILED,
	SB_ST_REJECTED,
	SB_ST_CANCELLED,
	SB_ST_EXPIRED,
	SB_ST_COUNT
};

/* The word for a status ("queued"); never NULL for a valid status. */
const char *sb_status_name(enum sb_status st);
/* The status for a word, or -1. */
int sb_status_parse(const char *word);
/* 1 if the status is final (no further change expected). */
int sb_status_final(enum sb_status st);

#endif
