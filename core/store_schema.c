/*
 * store_schema.c - the store's schema, as numbered migrations.
 *
 * Entry i takes a database from `PRAGMA user_version` i to i + 1; store.c
 * applies them at open, one transaction each, and refuses a database newer
 * than SB_STORE_SCHEMA_VERSION. A shipped entry never changes: a database
 * that already ran it would not run it again.
 *
 * Owns: the migrations' SQL.
 */
#include <stddef.h>

#include "store.h"
#include "store_internal.h"

/* Each entry migrates user_version i to i + 1. Never edit a shipped one. */
static const char *const migrations[] = {
	/* 0 -> 1: the first schema */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE broadcasts ("
	" id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL, name TEXT,"
	" source TEXT NOT NULL, file_name TEXT, restart_of INTEGER,"
	" created_ms INTEGER NOT NULL, stopped_ms INTEGER);"
	"CREATE TABLE messages ("
	" id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL, chain TEXT NOT NULL,"
	" to_addr TEXT NOT NULL, from_addr TEXT, body TEXT,"
	" template_name TEXT, template_lang TEXT, template_vars TEXT,"
	" idem_key TEXT, status TEXT NOT NULL, reason TEXT,"
	" step INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,"
	" send_at_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
	" updated_ms INTEGER NOT NULL, broadcast_id INTEGER, resend_of INTEGER);"
	"CREATE UNIQUE INDEX messages_idem ON messages(subaccount, idem_key)"
	" WHERE idem_key IS NOT NULL;"
	"CREATE INDEX messages_status ON messages(status, id);"
	"CREATE INDEX messages_due ON messages(send_at_ms) WHERE status = 'scheduled';"
	"CREATE INDEX messages_broadcast ON messages(broadcast_id)"
	" WHERE broadcast_id IS NOT NULL;"
	"CREATE TABLE attempts ("
	" id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL REFERENCES messages(id),"
	" step INTEGER NOT NULL, instance TEXT NOT NULL, status TEXT NOT NULL,"
	" tries INTEGER NOT NULL DEFAULT 0, provider_id TEXT, error_code TEXT,"
	" error_text TEXT, parts INTEGER, next_ms INTEGER, fallback_ms INTEGER,"
	" created_ms INTEGER NOT NULL, sent_ms INTEGER, accepted_ms INTEGER,"
	" final_ms INTEGER);"
	"CREATE INDEX attempts_ready ON attempts(instance, next_ms) WHERE status = 'queued';"
	"CREATE INDEX attempts_message ON attempts(message_id);"
	"CREATE INDEX attempts_provider ON attempts(instance, provider_id)"
	" WHERE provider_id IS NOT NULL;"
	"CREATE INDEX attempts_fallback ON attempts(fallback_ms)"
	" WHERE fallback_ms IS NOT NULL AND status = 'accepted';"
	"CREATE INDEX attempts_sending ON attempts(id) WHERE status = 'sending';"
	"CREATE TABLE history ("
	" id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL, attempt_id INTEGER,"
	" status TEXT NOT NULL, reason TEXT, at_ms INTEGER NOT NULL);"
	"CREATE INDEX history_message ON history(message_id);"
	"CREATE TABLE inbound ("
	" id INTEGER PRIMARY KEY, instance TEXT NOT NULL, from_addr TEXT,"
	" to_addr TEXT, body TEXT, at_ms INTEGER NOT NULL);"
	"CREATE TABLE filter_allow ("
	" id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL DEFAULT '',"
	" kind TEXT NOT NULL, value TEXT NOT NULL, uid INTEGER, at_ms INTEGER NOT NULL,"
	" UNIQUE (subaccount, kind, value));",
	/*
	 * 1 -> 2: the delivery engine's timers on the attempt itself. Each
	 * attempt carries its subaccount (per-subaccount rate limits read
	 * ready attempts by (instance, subaccount) without a join), its
	 * message's validity end (expiry is one index range, not a scan of
	 * every accepted attempt), and its next receipt poll with a count.
	 */
	"ALTER TABLE attempts ADD COLUMN subaccount TEXT;"
	"ALTER TABLE attempts ADD COLUMN expire_ms INTEGER;"
	"ALTER TABLE attempts ADD COLUMN poll_ms INTEGER;"
	"ALTER TABLE attempts ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;"
	"UPDATE attempts SET"
	" subaccount = (SELECT m.subaccount FROM messages m WHERE m.id = attempts.message_id),"
	" expire_ms = CASE WHEN status IN ('queued', 'accepted') THEN"
	"  (SELECT m.expires_ms FROM messages m WHERE m.id = attempts.message_id) END;"
	"CREATE INDEX attempts_lane ON attempts(instance, subaccount, next_ms)"
	" WHERE status = 'queued';"
	"CREATE INDEX attempts_poll ON attempts(poll_ms)"
	" WHERE poll_ms IS NOT NULL AND status = 'accepted';"
	"CREATE INDEX attempts_expire ON attempts(expire_ms)"
	" WHERE expire_ms IS NOT NULL AND status IN ('queued', 'accepted');",
	/*
	 * 2 -> 3: chain versions. A message records the version of the chain
	 * it started with, so a reload that edits a chain never re-routes a
	 * message mid-chain. Older messages (NULL) follow their chain by name.
	 */
	"CREATE TABLE chain_versions ("
	" id INTEGER PRIMARY KEY, name TEXT NOT NULL, spec TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL, UNIQUE (name, spec));"
	"ALTER TABLE messages ADD COLUMN chain_ver INTEGER;",
	/*
	 * 3 -> 4: broadcasts as operators see them. Every trigger is one
	 * broadcast: who (user), what (text or template, chain) and when; its
	 * messages are found by (broadcast_id, status) and, for a restart,
	 * by (broadcast_id, to_addr) so a number is never sent twice.
	 */
	"ALTER TABLE broadcasts ADD COLUMN user_name TEXT;"
	"ALTER TABLE broadcasts ADD COLUMN chain TEXT;"
	"ALTER TABLE broadcasts ADD COLUMN body TEXT;"
	"ALTER TABLE broadcasts ADD COLUMN template_name TEXT;"
	"ALTER TABLE broadcasts ADD COLUMN restart_cursor TEXT;"
	"CREATE INDEX broadcasts_sub ON broadcasts(subaccount, id);"
	"CREATE UNIQUE INDEX broadcasts_restart ON broadcasts(restart_of)"
	" WHERE restart_of IS NOT NULL;"
	"CREATE INDEX messages_bcast_status ON messages(broadcast_id, status, id)"
	" WHERE broadcast_id IS NOT NULL;"
	"CREATE INDEX messages_bcast_to ON messages(broadcast_id, to_addr)"
	" WHERE broadcast_id IS NOT NULL;"
	/*
	 * The operator's search: every filter has an index that also gives
	 * the order (newest first: id descending), so a page is an index
	 * range, never a sort. `grp` is the screens' grouping of statuses;
	 * `channel_type` is the type of the message's latest attempt's channel
	 * (the delivering one once delivered); the text is in a trigram index.
	 */
	"ALTER TABLE messages ADD COLUMN channel_type TEXT;"
	"ALTER TABLE messages ADD COLUMN grp TEXT GENERATED ALWAYS AS (CASE status"
	" WHEN 'queued' THEN 'processing' WHEN 'accepted' THEN 'sending'"
	" WHEN 'delivered' THEN 'sent' WHEN 'read' THEN 'sent'"
	" WHEN 'rejected' THEN 'failed' WHEN 'expired' THEN 'failed' ELSE status END) VIRTUAL;"
	"CREATE INDEX messages_created ON messages(created_ms);"
	"CREATE INDEX messages_sub_id ON messages(subaccount, id);"
	"CREATE INDEX messages_sub_status ON messages(subaccount, status, id);"
	"CREATE INDEX messages_sub_grp ON messages(subaccount, grp, id);"
	"CREATE INDEX messages_sub_type ON messages(subaccount, channel_type, id);"
	"CREATE INDEX messages_sub_tpl ON messages(subaccount, template_name, id);"
	"CREATE INDEX messages_to ON messages(to_addr, id);"
	"CREATE INDEX messages_bcast_id ON messages(broadcast_id, id)"
	" WHERE broadcast_id IS NOT NULL;"
	"CREATE INDEX broadcasts_file ON broadcasts(subaccount, file_name)"
	" WHERE file_name IS NOT NULL;"
	"CREATE VIRTUAL TABLE messages_text USING fts5(body, content='messages',"
	" content_rowid='id', tokenize='trigram');"
	"CREATE TRIGGER messages_text_ins AFTER INSERT ON messages WHEN new.body IS NOT NULL"
	" BEGIN INSERT INTO messages_text (rowid, body) VALUES (new.id, new.body); END;"
	"CREATE TRIGGER messages_text_upd AFTER UPDATE OF body ON messages BEGIN"
	" INSERT INTO messages_text (messages_text, rowid, body)"
	"  SELECT 'delete', old.id, old.body WHERE old.body IS NOT NULL;"
	" INSERT INTO messages_text (rowid, body) SELECT new.id, new.body"
	"  WHERE new.body IS NOT NULL; END;"
	"INSERT INTO messages_text (messages_text) VALUES ('rebuild');"
	/*
	 * Statistics from aggregates, never a scan: messages per (subaccount,
	 * UTC day of trigger, template, channel type, status) and per
	 * (broadcast, status), kept by triggers in the statement that changes
	 * a message's status or channel type, so always in the same
	 * transaction as the change. (Since 8 -> 9 the store keeps them
	 * itself, once per group: store_tally.c.)
	 */
	"CREATE TABLE msg_stats (subaccount TEXT NOT NULL, day INTEGER NOT NULL,"
	" template TEXT NOT NULL, channel_type TEXT NOT NULL, status TEXT NOT NULL,"
	" n INTEGER NOT NULL,"
	" PRIMARY KEY (subaccount, day, template, channel_type, status)) WITHOUT ROWID;"
	"CREATE INDEX msg_stats_type ON msg_stats(subaccount, channel_type, day);"
	"CREATE TABLE bcast_stats (broadcast_id INTEGER NOT NULL, status TEXT NOT NULL,"
	" n INTEGER NOT NULL, PRIMARY KEY (broadcast_id, status)) WITHOUT ROWID;"
	"CREATE TRIGGER msg_stats_ins AFTER INSERT ON messages BEGIN"
	" INSERT INTO msg_stats VALUES (new.subaccount, new.created_ms / 86400000,"
	"  coalesce(new.template_name, ''), coalesce(new.channel_type, ''), new.status, 1)"
	"  ON CONFLICT (subaccount, day, template, channel_type, status)"
	"  DO UPDATE SET n = n + 1;"
	" INSERT INTO bcast_stats SELECT new.broadcast_id, new.status, 1"
	"  WHERE new.broadcast_id IS NOT NULL"
	"  ON CONFLICT (broadcast_id, status) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER msg_stats_upd AFTER UPDATE OF status, channel_type ON messages"
	" WHEN old.status IS NOT new.status OR old.channel_type IS NOT new.channel_type BEGIN"
	" UPDATE msg_stats SET n = n - 1 WHERE subaccount = old.subaccount"
	"  AND day = old.created_ms / 86400000 AND template = coalesce(old.template_name, '')"
	"  AND channel_type = coalesce(old.channel_type, '') AND status = old.status;"
	" INSERT INTO msg_stats VALUES (new.subaccount, new.created_ms / 86400000,"
	"  coalesce(new.template_name, ''), coalesce(new.channel_type, ''), new.status, 1)"
	"  ON CONFLICT (subaccount, day, template, channel_type, status)"
	"  DO UPDATE SET n = n + 1;"
	" UPDATE bcast_stats SET n = n - 1 WHERE broadcast_id = old.broadcast_id"
	"  AND status = old.status AND old.status IS NOT new.status;"
	" INSERT INTO bcast_stats SELECT new.broadcast_id, new.status, 1"
	"  WHERE new.broadcast_id IS NOT NULL AND old.status IS NOT new.status"
	"  ON CONFLICT (broadcast_id, status) DO UPDATE SET n = n + 1; END;"
	"INSERT INTO msg_stats SELECT subaccount, created_ms / 86400000,"
	" coalesce(template_name, ''), coalesce(channel_type, ''), status, count(*)"
	" FROM messages GROUP BY 1, 2, 3, 4, 5;"
	"INSERT INTO bcast_stats SELECT broadcast_id, status, count(*) FROM messages"
	" WHERE broadcast_id IS NOT NULL GROUP BY 1, 2;",
	/*
	 * 4 -> 5: templates, versioned. A version is never changed or removed
	 * (a message records the version it used, and renders it at each
	 * send); deleting a template marks its versions.
	 */
	"CREATE TABLE templates (subaccount TEXT NOT NULL, name TEXT NOT NULL,"
	" version INTEGER NOT NULL, spec TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" created_by TEXT, deleted_ms INTEGER,"
	" PRIMARY KEY (subaccount, name, version)) WITHOUT ROWID;"
	"ALTER TABLE messages ADD COLUMN template_ver INTEGER;",
	/*
	 * 5 -> 6: the outbox of events to applications (core/events.c). A
	 * row is written in the transaction of the change it reports, so a
	 * crash loses none; `contact` orders delivery (one in flight per
	 * (subaccount, contact), oldest first). `retry_from_ms` starts the
	 * retry window (created_ms, or the time of an operator's redeliver).
	 */
	"CREATE TABLE events (id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL,"
	" contact TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, message_id INTEGER,"
	" payload TEXT NOT NULL, created_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
	" tries INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending',"
	" last_error TEXT, delivered_ms INTEGER, retry_from_ms INTEGER NOT NULL);"
	"CREATE INDEX events_due ON events(next_ms, id) WHERE state = 'pending';"
	"CREATE INDEX events_contact ON events(subaccount, contact, id)"
	" WHERE state = 'pending';"
	"CREATE INDEX events_sub_state ON events(subaccount, state, id);"
	"CREATE INDEX events_state ON events(state, id);",
	/*
	 * 6 -> 7: contacts and the folders. A contact is one person of a
	 * subaccount, with identities (a phone number, a LINE user id, a
	 * WhatsApp id) each linked to exactly one contact. Inbound messages
	 * and outbound ones point at their contact; a provider's retry of an
	 * inbound message (same instance and provider id) is stored once.
	 * Inbound messages are filed in `inbox` (or `flows`) until archived.
	 */
	"CREATE TABLE contacts (id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL,"
	" created_ms INTEGER NOT NULL);"
	"CREATE TABLE contact_ids (subaccount TEXT NOT NULL, kind TEXT NOT NULL,"
	" value TEXT NOT NULL, contact_id INTEGER NOT NULL,"
	" PRIMARY KEY (subaccount, kind, value)) WITHOUT ROWID;"
	"CREATE INDEX contact_ids_contact ON contact_ids(contact_id);"
	"ALTER TABLE messages ADD COLUMN contact_id INTEGER;"
	"CREATE INDEX messages_contact ON messages(contact_id, id) WHERE contact_id IS NOT NULL;"
	"ALTER TABLE inbound ADD COLUMN subaccount TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE inbound ADD COLUMN contact_id INTEGER;"
	"ALTER TABLE inbound ADD COLUMN channel_type TEXT;"
	"ALTER TABLE inbound ADD COLUMN provider_id TEXT;"
	"ALTER TABLE inbound ADD COLUMN media TEXT;"
	"ALTER TABLE inbound ADD COLUMN received_ms INTEGER;"
	"ALTER TABLE inbound ADD COLUMN folder TEXT NOT NULL DEFAULT 'inbox';"
	"ALTER TABLE inbound ADD COLUMN archived_from TEXT;"
	"ALTER TABLE inbound ADD COLUMN archived_ms INTEGER;"
	"CREATE UNIQUE INDEX inbound_provider ON inbound(instance, provider_id)"
	" WHERE provider_id IS NOT NULL;"
	"CREATE INDEX inbound_folder ON inbound(subaccount, folder, id);"
	"CREATE INDEX inbound_contact ON inbound(contact_id, id);"
	"CREATE TABLE calls (id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL,"
	" instance TEXT NOT NULL, contact_id INTEGER, direction TEXT NOT NULL,"
	" from_addr TEXT, to_addr TEXT, provider_id TEXT, started_ms INTEGER NOT NULL,"
	" duration_s INTEGER);"
	"CREATE UNIQUE INDEX calls_provider ON calls(instance, provider_id)"
	" WHERE provider_id IS NOT NULL;"
	"CREATE INDEX calls_sub ON calls(subaccount, id);"
	"CREATE INDEX calls_contact ON calls(contact_id, id);"
	/*
	 * Conversation flows: an application's open conversation with a
	 * contact, until closed or expired. A contact's inbound messages go to
	 * its open flow (folder `flows`, the event to the flow's callback URL,
	 * kept on the event row).
	 */
	"CREATE TABLE flows (id INTEGER PRIMARY KEY, subaccount TEXT NOT NULL,"
	" contact_id INTEGER NOT NULL, callback_url TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" expires_ms INTEGER NOT NULL, closed_ms INTEGER);"
	"CREATE INDEX flows_open ON flows(subaccount, contact_id, expires_ms)"
	" WHERE closed_ms IS NULL;"
	"ALTER TABLE inbound ADD COLUMN flow_id INTEGER;"
	"ALTER TABLE events ADD COLUMN url TEXT;",
	/*
	 * 7 -> 8: a message's text enters the trigram index once per group,
	 * not by a trigger per insert. FTS5 flushes its pending terms to a new
	 * segment at the end of every statement that wrote to it, so the
	 * trigger cost a segment (and its merges) per message; now one
	 * INSERT ... SELECT at the end of each group indexes all of its
	 * messages in the group's own transaction (sb_store_text_catch_up), so
	 * a committed message is always indexed. The trigger on a changed text
	 * stays: a change is rare, and the store indexes what is pending first.
	 */
	"DROP TRIGGER messages_text_ins;",
	/*
	 * 8 -> 9: the statistics aggregates are kept from C, once per group
	 * (store_tally.c), not by triggers once per row: the triggers ran four
	 * statements in a sub-program for every status change, the largest
	 * single cost of a message's delivery. The tables stay as they are.
	 */
	"DROP TRIGGER msg_stats_ins;"
	"DROP TRIGGER msg_stats_upd;"
	/*
	 * The trigram index is brought up to date every TEXT_BATCH messages
	 * or TEXT_DELAY_MS (and before a text search), not at every group's
	 * end: FTS5's segment and merges per group cost as much as a tenth of
	 * a message's delivery. The highest indexed id is kept here, in the
	 * transaction that indexes, so a restart knows what to index.
	 */
	"INSERT INTO meta (key, value) SELECT 'text_indexed', coalesce(max(id), 0) FROM messages;"
	/* Every lookup by broadcast_id alone is served as well by
	 * messages_bcast_id (broadcast_id, id), and every message has a
	 * broadcast: this one only cost an insert per message. */
	"DROP INDEX messages_broadcast;",
	/*
	 * 9 -> 10: a broadcast of one message (every single API or control
	 * send is one) keeps no bcast_stats rows: its counts are its message's
	 * status, read from the message. Its rows cost about four upserts per
	 * message. Older broadcasts keep theirs (0). And messages_status goes:
	 * it cost a write per status change for one check at a reload
	 * (sb_store_count_using), which scans messages_sub_status instead.
	 */
	"ALTER TABLE broadcasts ADD COLUMN single_message"
	" INTEGER NOT NULL DEFAULT 0;"
	"DROP INDEX messages_status;",
	/*
	 * 10 -> 11: the trigram index merges its segments only when the store
	 * asks, a bounded step after each catch-up (sb_store_text_catch_up).
	 * FTS5's own merges ran inside the catch-up's INSERT, up to 10 ms at
	 * a time on the loop: they were the p99 of acknowledgements.
	 */
	"INSERT INTO messages_text (messages_text, rank) VALUES ('automerge', 0);",
	/*
	 * 11 -> 12: the trigram index leaves the store for a file of its own,
	 * <database>.text, kept by a thread of its own (store_text.c): in the
	 * store's file only the loop could write it. A text change is recorded
	 * here, in its own transaction, for that thread to apply.
	 */
	"DROP TRIGGER messages_text_upd;"
	"DROP TABLE messages_text;"
	"DELETE FROM meta WHERE key = 'text_indexed';"
	"CREATE TABLE text_edits (seq INTEGER PRIMARY KEY, message_id INTEGER NOT NULL,"
	" old_body TEXT, new_body TEXT);",
	/*
	 * 12 -> 13: the search finds where a trigger-time range begins and ends
	 * by a binary search over the ids (ids grow with trigger time), not by
	 * an index on the trigger time, which cost an entry per message.
	 */
	"DROP INDEX messages_created;",
	/*
	 * 13 -> 14: a search by group reads each of the group's statuses from
	 * messages_sub_status and merges them by id (store_search.c), so a
	 * status change no longer moves an entry in a second index.
	 */
	"DROP INDEX messages_sub_grp;",
	/*
	 * 14 -> 15: only a message sent from a template has an entry in the
	 * search's template index; a text message (most of them) none. A
	 * search by template (template_name = ?) implies the condition.
	 */
	"DROP INDEX messages_sub_tpl;"
	"CREATE INDEX messages_sub_tpl ON messages(subaccount, template_name, id)"
	" WHERE template_name IS NOT NULL;",
	/*
	 * 15 -> 16: a message's history moves into its row (messages.hist),
	 * appended by the update that changes its status: a row and an index
	 * entry in `history` cost ~1 us each, ~4 us and ~160 bytes for a
	 * message's four changes. Each entry is `,[at, "status", attempt,
	 * "reason"]` with `at` in ms after created_ms, `attempt` the attempt's
	 * id minus the message's (null without one) and the reason left out
	 * when there is none; the history reads as JSON once wrapped in []
	 * (store_hist.c has the whole format).
	 * The subquery's ORDER BY keeps the rows in their order: SQLite does
	 * not flatten an ordered subquery into an aggregate.
	 */
	"ALTER TABLE messages ADD COLUMN hist TEXT;"
	"UPDATE messages SET hist = (SELECT group_concat(e, '') FROM"
	" (SELECT ',' || CASE WHEN h.reason IS NULL"
	"  THEN json_array(h.at_ms - messages.created_ms, h.status,"
	"   h.attempt_id - messages.id)"
	"  ELSE json_array(h.at_ms - messages.created_ms, h.status,"
	"   h.attempt_id - messages.id, h.reason) END AS e"
	"  FROM history h WHERE h.message_id = messages.id ORDER BY h.id))"
	" WHERE id IN (SELECT message_id FROM history);"
	"DROP TABLE history;",
	/*
	 * 16 -> 17: the per-broadcast indexes by status and by number hold
	 * only the messages of broadcasts of more than one (bcast_many = 1).
	 * Every single API send is a broadcast of one, found by
	 * messages_bcast_id; their entries cost two index writes per message
	 * and one more per status change, for lookups a broadcast of one never
	 * needs. A query on a broadcast of many says `bcast_many = 1`
	 * (store_bcast.c, store_search.c) to read them.
	 */
	"ALTER TABLE messages ADD COLUMN bcast_many INTEGER;"
	"UPDATE messages SET bcast_many = 1 WHERE broadcast_id IN"
	" (SELECT id FROM broadcasts WHERE single_message = 0);"
	"DROP INDEX messages_bcast_status;"
	"CREATE INDEX messages_bcast_status ON messages(broadcast_id, status, id)"
	" WHERE bcast_many = 1;"
	"DROP INDEX messages_bcast_to;"
	"CREATE INDEX messages_bcast_to ON messages(broadcast_id, to_addr)"
	" WHERE bcast_many = 1;",
	/*
	 * 17 -> 18: an attempt's expiry entry lives from its insert to its
	 * final status (final_ms is set with every final status), whatever
	 * the status in between. With `status IN ('queued', 'accepted')` in
	 * its WHERE, the entry left at `sending` and came back at `accepted`:
	 * four index writes per delivered attempt, now two. The queries still
	 * say which statuses expire; the `sending` entries they step over are
	 * at most the sends in flight. An ended attempt without a final time
	 * (none is known; the guard is cheap) loses its expiry instead.
	 */
	"UPDATE attempts SET expire_ms = NULL WHERE expire_ms IS NOT NULL"
	" AND final_ms IS NULL AND status NOT IN ('queued', 'sending', 'accepted');"
	"DROP INDEX attempts_expire;"
	"CREATE INDEX attempts_expire ON attempts(expire_ms)"
	" WHERE expire_ms IS NOT NULL AND final_ms IS NULL;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == SB_STORE_SCHEMA_VERSION, "one migration per schema version");

const char *
sb_store_migration_sql(int from)
{
	return from >= 0 && from < NMIGRATIONS ? migrations[from] : NULL;
}
