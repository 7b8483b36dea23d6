# The web console's files (www/README.md): served by switchboardd from
# $(pkgdatadir)/www as they are; there is no build step.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = www/index.html www/console.js www/console.css
EXTRA_DIST += www/README.md
