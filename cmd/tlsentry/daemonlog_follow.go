package main

import (
	"os"
	"time"

	"github.com/tlsentry/tlsentry/sensor/evelog"
)

// daemonLogFollowEvery is how often the daemon's log compares its path
// with the open file, as evelog does for the alert logs: two stat calls a
// second at most, whatever the line rate.
const daemonLogFollowEvery = time.Second

// logFollow notices that the daemon's log file was moved or removed
// without a SIGUSR1 (a rotation tool that forgot the signal, a removed
// directory): the daemon's lines would go on into a file nobody reads.
// The logOutput's lock guards it.
type logFollow struct {
	open    os.FileInfo // of the file open now; nil: none, or not known
	checked time.Time   // when the path was last compared
	every   time.Duration
	gone    bool // the path could not be opened again (told once)
	// told, when set, is told the file was opened again by name (err
	// nil), or could not be; it is called without the lock, and may log.
	told func(path string, err error)
}

// opened records the file just put in use (nil: stderr).
func (f *logFollow) opened(file *os.File) {
	f.open, f.checked, f.gone = nil, time.Now(), false
	if file != nil {
		if st, err := file.Stat(); err == nil {
			f.open = st
		}
	}
}

// checkPath compares the path with the open file, at most every
// daemonLogFollowEvery, and opens it again by name when they differ (its
// directory made again if needed). It returns what to tell once the lock
// is released (a no-op when nothing happened). o's lock is held.
func (o *logOutput) checkPath() (tell func()) {
	f := &o.follow
	nothing := func() {}
	every := f.every
	if every == 0 {
		every = daemonLogFollowEvery
	}
	now := time.Now()
	if f.open == nil || now.Sub(f.checked) < every {
		return nothing
	}
	f.checked = now
	if !evelog.Moved(o.path, f.open) {
		return nothing
	}
	path, told := o.path, f.told
	nf, err := openLogFile(o.path)
	var st os.FileInfo
	if err == nil {
		if st, err = nf.Stat(); err != nil {
			nf.Close()
		}
	}
	if err != nil {
		// Lines go on to the old file; tried again in a second, told once.
		first := !f.gone
		f.gone = true
		if !first || told == nil {
			return nothing
		}
		return func() { told(path, err) }
	}
	o.f.Close() // a close error loses nothing: its lines are written
	o.f, f.open, f.gone = nf, st, false
	if told == nil {
		return nothing
	}
	return func() { told(path, nil) }
}

// setFollowed sets what is told when the log file is found moved or
// removed (see logFollow.told).
func (l *daemonLog) setFollowed(told func(path string, err error)) {
	l.out.mu.Lock()
	defer l.out.mu.Unlock()
	l.out.follow.told = told
}
