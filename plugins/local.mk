# One folder per plugin; each adds itself to plugin_LTLIBRARIES. plugins/common
# is the support library they link (SBP_CPPFLAGS, SBP_LIBS), so it comes first.
include plugins/common/local.mk
include plugins/test/local.mk
include plugins/stub/local.mk
include plugins/http_sms/local.mk
include plugins/content_filter/local.mk
include plugins/line_push/local.mk
include plugins/line_notify/local.mk
include plugins/whatsapp/local.mk
include plugins/twilio/local.mk
include plugins/vonage/local.mk
include plugins/smpp/local.mk
