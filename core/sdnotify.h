/*
 * sdnotify.h - tell systemd (Type=notify) that the daemon is ready or
 * stopping, by the documented datagram protocol of sd_notify(3): no
 * libsystemd needed. Without $NOTIFY_SOCKET it does nothing.
 */
#ifndef SB_SDNOTIFY_H
#define SB_SDNOTIFY_H

/* Send `state` ("READY=1", "STOPPING=1", ...); errors are ignored. */
void sb_sd_notify(const char *state);

#endif
