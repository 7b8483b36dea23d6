/*
 * status.c - the status table: names and finality, nothing else.
 */
#include <string.h>

#include "status.h"

static const struct {
	const char *name;
	int final;
} status_table[SB_ST_COUNT] = {
	[SB_ST_SCHEDULED] = { "scheduled", 0 },
	[SB_ST_BLOCKED_TIME] = { "blocked_time", 1 },
	[SB_ST_QUEUED] = { "queued", 0 },
	[SB_ST_SENDING] = { "sending", 0 },
	[SB_ST_ACCEPTED] = { "accepted", 0 },
	[SB_ST_DELIVERED] = { "delivered", 1 },
	[SB_ST_READ] = { "read", 1 },
	[SB_ST_UNDELIVERABLE] = { "undeliverable", 1 },
	[SB_ST_FAILED] = { "failed", 1 },
	[SB_ST_REJECTED] = { "rejected", 1 },
	[SB_ST_CANCELLED] = { "cancelled", 1 },
	[SB_ST_EXPIRED] = { "expired", 1 },
};

const char *
sb_status_name(enum sb_status st)
{
	if ((unsigned)st >= SB_ST_COUNT)
		return "unknown";
	return status_table[st].name;
}

int
sb_status_parse(const char *word)
{
	for (int i = 0; i < SB_ST_COUNT; i++)
		if (strcmp(status_table[i].name, word) == 0)
			return i;
	return -1;
}

int
sb_status_final(enum sb_status st)
{
	return (unsigned)st < SB_ST_COUNT && status_table[st].final;
}
