package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestCommandHelp: every command's -h, -help and `help COMMAND` print the
// same help on stdout (its usage lines, what it does, every flag) and exit
// 0 without doing anything else; a bad flag prints it on stderr.
func TestCommandHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := runCmd(t, c.name, "-h")
			if err != nil || errOut != "" {
				t.Fatalf("%s -h: %v, stderr %q", c.name, err, errOut)
			}
			if !strings.HasPrefix(out, "usage: tlsentry "+c.name) {
				t.Errorf("%s -h does not start with its usage:\n%s", c.name, out)
			}
			for _, u := range c.help.usage {
				if !strings.Contains(out, u+"\n") {
					t.Errorf("%s -h lacks the usage line %q", c.name, u)
				}
			}
			if !strings.Contains(out, "\n"+c.help.about+"\n") {
				t.Errorf("%s -h lacks its description", c.name)
			}
			if strings.Contains(out, "Commands:") {
				t.Errorf("%s -h printed the main help", c.name)
			}
			fs, err := commandHelp(c)
			if err != nil {
				t.Fatal(err)
			}
			fs.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(out, "  -"+f.Name+" ") && !strings.Contains(out, "  -"+f.Name+"\n") {
					t.Errorf("%s -h does not list -%s", c.name, f.Name)
				}
			})
			for _, args := range [][]string{{"help", c.name}, {c.name, "-help"}, {c.name, "--help"}} {
				same, errOut, err := runCmd(t, args...)
				if err != nil || errOut != "" || same != out {
					t.Errorf("%q: %v, stderr %q, stdout differs from -h: %t", args, err, errOut, same != out)
				}
			}

			out, errOut, err = runCmd(t, c.name, "-no-such-flag")
			if !errors.Is(err, errUsage) {
				t.Errorf("%s -no-such-flag: %v, want a usage error", c.name, err)
			}
			if out != "" || !strings.Contains(errOut, "flag provided but not defined: -no-such-flag") ||
				!strings.Contains(errOut, "usage: tlsentry "+c.name) {
				t.Errorf("%s -no-such-flag: stdout %q, stderr:\n%s", c.name, out, errOut)
			}
		})
	}
}

func TestMainHelp(t *testing.T) {
	want, _, err := runCmd(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(want, "\n  "+c.name+" ") || !strings.Contains(want, c.summary) {
			t.Errorf("main help lacks %s", c.name)
		}
	}
	for _, s := range []string{"usage: tlsentry COMMAND", "Exit status:", "Files:", defaultConfigPath} {
		if !strings.Contains(want, s) {
			t.Errorf("main help lacks %q", s)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}} {
		if out, _, err := runCmd(t, args...); err != nil || out != want {
			t.Errorf("%q: %v, same as help: %t", args, err, out == want)
		}
	}
	out, errOut, err := runCmd(t)
	if !errors.Is(err, errUsage) || out != "" || errOut != want {
		t.Errorf("no command: %v, stdout %q, help on stderr: %t", err, out, errOut == want)
	}
	for _, args := range [][]string{{"help", "nosuch"}, {"help", "run", "flows"}, {"help", "-man", "run"}, {"nosuch"}, {"version", "x"}, {"heldout", "-x"}} {
		if _, _, err := runCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func TestVersion(t *testing.T) {
	want, errOut, err := runCmd(t, "version")
	if err != nil || errOut != "" {
		t.Fatalf("version: %v %q", err, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "tlsentry version: ") || !strings.HasPrefix(lines[1], "revision: ") ||
		lines[2] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version:\n%s", want)
	}
	for _, args := range [][]string{{"--version"}, {"-version"}} {
		if out, _, err := runCmd(t, args...); err != nil || out != want {
			t.Errorf("%q: %v\n%s", args, err, out)
		}
	}
}

const manPath = "../../docs/tlsentry.1"

// TestManPage: the committed manual page is what `help -man` makes from
// the help texts today, names every command and flag, and groff reads it
// without a warning.
func TestManPage(t *testing.T) {
	out, _, err := runCmd(t, "help", "-man")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, []byte(out)) {
		t.Errorf("%s is out of date: run go generate ./cmd/tlsentry", manPath)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "\n.SS "+strings.ReplaceAll(c.name, "-", `\-`)+"\n") {
			t.Errorf("no section for %s", c.name)
		}
		fs, err := commandHelp(c)
		if err != nil {
			t.Fatal(err)
		}
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, `\fB\-`+strings.ReplaceAll(f.Name, "-", `\-`)+`\fR`) {
				t.Errorf("%s -%s is not in the manual page", c.name, f.Name)
			}
		})
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("no groff here to check the page's syntax")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", manPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("groff -ww: %v\n%s", err, stderr.String())
	}
}
