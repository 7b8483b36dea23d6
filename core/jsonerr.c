/*
 * jsonerr.c - why jansson refused a text, in our words. Its own texts name
 * its flags and internals ("wrong arguments", "JSON_ALLOW_NUL"), which an
 * API client or an operator should never see.
 */
#include "jsonerr.h"

const char *
sb_json_error_words(const json_error_t *e)
{
	switch (json_error_code(e)) {
	case json_error_duplicate_key:
		return "an object has the same key twice";
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return "it contains a NUL character (\\u0000)";
	case json_error_invalid_utf8:
		return "it is not valid UTF-8";
	case json_error_premature_end_of_input:
		return "it ends before the JSON value does";
	case json_error_end_of_input_expected:
		return "there is more after the JSON value";
	case json_error_stack_overflow:
		return "it is nested too deeply";
	case json_error_numeric_overflow:
		return "a number is too large";
	default:
		return "it is not valid JSON";
	}
}
