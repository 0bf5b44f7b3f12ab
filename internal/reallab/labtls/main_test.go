package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/reallab"
)

func TestProfilesListsEveryProfile(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"profiles"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(reallab.Profiles()) {
		t.Fatalf("%d lines for %d profiles:\n%s", len(lines), len(reallab.Profiles()), out.String())
	}
	if !slices.Contains(lines, "default\tbenign=true") || !slices.Contains(lines, "tls10\tbenign=false") {
		t.Errorf("unexpected listing:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"client"}, {"client", "-profile", "nope", "https://x/"}, {"serve"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"client"}, &out, &errOut); !errors.Is(err, errUsage) {
		t.Errorf("client without URLs: %v, want the usage error", err)
	}
}

func TestReadLinesSkipsBlanksAndComments(t *testing.T) {
	p := filepath.Join(t.TempDir(), "urls")
	if err := os.WriteFile(p, []byte("# hosts\nhttps://a/\n\n  https://b/x  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readLines(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://a/", "https://b/x"}; !slices.Equal(got, want) {
		t.Errorf("readLines = %q, want %q", got, want)
	}
	if _, err := readLines(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("readLines of a missing file succeeded")
	}
}
