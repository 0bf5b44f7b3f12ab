// Package sdnotify tells systemd how the service is doing, as sd_notify(3)
// does: one datagram of newline-separated KEY=VALUE assignments to the
// unix datagram socket named by $NOTIFY_SOCKET (a path, or an abstract
// socket written with a leading '@'). Without $NOTIFY_SOCKET (not run by
// systemd, or not Type=notify) every call does nothing and reports so.
package sdnotify
