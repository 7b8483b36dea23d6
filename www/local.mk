# The web console's files (www/README.md): served by switchboardd from
# $(pkgdatadir)/www as they are; there is no build step.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = www/index.html www/console.css www/console.js www/console_messages.js \
	www/console_broadcasts.js www/console_templates.js www/console_folders.js \
	www/console_blocked.js
EXTRA_DIST += www/README.md
