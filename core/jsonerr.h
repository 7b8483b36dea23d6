/*
 * jsonerr.h - jansson's parse errors in switchboard's words (jsonerr.c).
 */
#ifndef SB_JSONERR_H
#define SB_JSONERR_H

#include <jansson.h>

/* What is wrong with the text, as a phrase ("it is not valid UTF-8"). */
const char *sb_json_error_words(const json_error_t *e);

#endif
