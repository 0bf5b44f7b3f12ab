package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// The manual page is made from the help texts, so that it never says
// something -h does not; TestManPage keeps the committed copy current.
//go:generate sh -c "go run . help -man > ../../docs/tlsentry.1"

// writeManPage writes the manual page (roff, man macros) of tlsentry and
// its commands. It carries no date, so it changes only with the texts.
func writeManPage(w io.Writer) error {
	b := bufio.NewWriter(w)
	m := &roff{w: b}
	m.line(`.\" Made by "tlsentry help -man" (go generate ./cmd/tlsentry) from the`)
	m.line(`.\" commands' help texts: edit those, not this file.`)
	m.line(`.TH TLSENTRY 1 "" "tlsentry" "User Commands"`)
	m.line(".nh")   // no hyphenation: flag names and paths stay whole
	m.line(".ad l") // ragged right
	m.line(".SH NAME")
	m.text("tlsentry - passive TLS anomaly sensor")
	m.line(".SH SYNOPSIS")
	m.line(".nf")
	for _, c := range commands() {
		for _, u := range c.help.usage {
			m.text(u)
		}
	}
	m.line(".fi")
	m.line(".SH DESCRIPTION")
	m.paragraphs(mainHelp.about)
	m.line(".SH COMMANDS")
	for _, c := range commands() {
		fs, err := commandHelp(c)
		if err != nil {
			return err
		}
		m.line(".SS " + m.escape(c.name))
		m.line(".nf")
		for _, u := range c.help.usage {
			m.line(`\fB` + m.escape(u) + `\fR`)
		}
		m.line(".fi")
		m.paragraphs(c.help.about)
		fs.VisitAll(m.flag)
	}
	m.line(".SH FILES")
	for _, f := range mainFiles {
		m.line(".TP")
		m.line(`\fI` + m.escape(f.path) + `\fR`)
		m.text(f.what)
	}
	m.line(".SH EXIT STATUS")
	m.paragraphs(mainExit)
	m.line(".SH SEE ALSO")
	m.line(".BR logrotate (8),")
	m.line(".BR rsyslogd (8),")
	m.line(".BR systemd.exec (5),")
	m.line(".BR tshark (1)")
	m.line(".PP")
	m.text("README.md in the source tree: the record layout, the model card, forwarding alerts with rsyslog, Filebeat and Vector.")
	return b.Flush()
}

// roff writes man-page source.
type roff struct{ w io.Writer }

func (r *roff) line(s string) { fmt.Fprintln(r.w, s) }

// text writes running text: each input line as a line of its own.
func (r *roff) text(s string) {
	for _, l := range strings.Split(s, "\n") {
		r.line(r.escape(l))
	}
}

// paragraphs writes text whose paragraphs are separated by blank lines.
func (r *roff) paragraphs(s string) {
	for _, p := range strings.Split(s, "\n\n") {
		r.line(".PP")
		r.text(strings.TrimSpace(p))
	}
}

// escape makes s literal text: backslashes and hyphens escaped (a plain
// "-" may be set as a hyphen, and flags must survive copy and paste), and
// a leading dot or quote kept from reading as a request.
func (r *roff) escape(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// flag writes one flag as -h shows it: name, argument, usage, default.
func (r *roff) flag(f *flag.Flag) {
	arg, usage := flag.UnquoteUsage(f)
	r.line(".TP")
	head := `\fB\-` + r.escape(f.Name) + `\fR`
	if arg != "" {
		head += ` \fI` + r.escape(arg) + `\fR`
	}
	r.line(head)
	if def, ok := shownDefault(f); ok {
		usage += " (default " + def + ")"
	}
	r.text(usage)
}

// shownDefault is the default -h prints for f, if it prints one: none for
// a zero value, strings quoted (as flag.PrintDefaults does).
func shownDefault(f *flag.Flag) (string, bool) {
	t := reflect.TypeOf(f.Value)
	if t.Kind() == reflect.Pointer {
		if zero, ok := reflect.New(t.Elem()).Interface().(flag.Value); ok && zero.String() == f.DefValue {
			return "", false
		}
		if t.Elem().Kind() == reflect.String {
			return fmt.Sprintf("%q", f.DefValue), true
		}
	}
	return f.DefValue, true
}
