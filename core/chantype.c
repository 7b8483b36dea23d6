/*
 * chantype.c - module name -> channel type (chantype.h). Only data.
 */
#include <stddef.h>
#include <string.h>

#include "chantype.h"

static const struct {
	const char *module;
	const char *type;
} module_types[] = {
	{ "http_sms", "sms" },
	{ "twilio", "sms" },
	{ "vonage", "sms" },
	{ "smpp", "sms" },
	{ "test", "sms" },
	{ "stub", "sms" },
	{ "whatsapp", "whatsapp" },
	{ "line_push", "line_push" },
	{ "line_notify", "line_notify" },
};

static const char *const types[] = { "sms", "whatsapp", "line_push", "line_notify", "other" };

const char *
sb_channel_type(const char *module)
{
	for (size_t i = 0; module != NULL && i < sizeof(module_types) / sizeof(module_types[0]);
	    i++)
		if (strcmp(module_types[i].module, module) == 0)
			return module_types[i].type;
	return "other";
}

int
sb_channel_type_valid(const char *type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i], type) == 0)
			return 1;
	return 0;
}
