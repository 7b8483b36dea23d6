/*
 * chantype.h - the channel type of a channel instance, as the operator's
 * screens filter by it: sms, whatsapp, line_push, line_notify (other for
 * anything else).
 *
 * The plugin ABI has no field for it yet, so the type is derived from the
 * instance's module name by a table here; when plugins declare their type,
 * this table becomes the fallback for modules that do not.
 */
#ifndef SB_CHANTYPE_H
#define SB_CHANTYPE_H

/* The type of a module ("twilio" -> "sms"); "other" if unknown. Static string. */
const char *sb_channel_type(const char *module);
/* Is `type` one of the types a search may name? 1 or 0. */
int sb_channel_type_valid(const char *type);

#endif
