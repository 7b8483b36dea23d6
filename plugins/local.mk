# One folder per plugin; each adds itself to plugin_LTLIBRARIES.
include plugins/test/local.mk
include plugins/stub/local.mk
include plugins/http_sms/local.mk
include plugins/content_filter/local.mk
include plugins/line_push/local.mk
include plugins/line_notify/local.mk
include plugins/whatsapp/local.mk
include plugins/twilio/local.mk
include plugins/vonage/local.mk
