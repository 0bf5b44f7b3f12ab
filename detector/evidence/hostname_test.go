package evidence

import (
	"strings"
	"testing"
)

func TestHostNameFlaw(t *testing.T) {
	cases := []struct {
		name string
		want nameFlaw
	}{
		{"www.example.com", nameOK},
		{"WWW.Example.COM.", nameOK}, // one trailing dot is let be
		{"_dmarc.example.org", nameOK},
		{"xn--bcher-kva.example", nameOK},
		{"localhost", nameOK},
		{"${jndi:ldap://198.51.100.7:1389/a}", nameBadByte},
		{"www.example.com' OR '1'='1", nameBadByte},
		{"a b.example.com", nameBadByte},
		{"bücher.example", nameBadByte},
		{"../../etc/passwd", nameEmptyLabel},
		{"www..example.com", nameEmptyLabel},
		{"example.com..", nameEmptyLabel},
		{strings.Repeat("a", 64) + ".example.com", nameLongLabel},
		{strings.Repeat("abcdefghi.", 26) + "com", nameTooLong},
	}
	for _, c := range cases {
		if got, _ := hostNameFlaw(c.name); got != c.want {
			t.Errorf("%q: %v, want %v", c.name, got, c.want)
		}
		if c.want != nameOK && !strings.Contains(describeHostName(c.name), "is not a host name (") {
			t.Errorf("%q: %s", c.name, describeHostName(c.name))
		}
	}
}

func FuzzHostNameFlaw(f *testing.F) {
	for _, s := range []string{"www.example.com", "${jndi:x}", "a..b", "\xff.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flaw, at := hostNameFlaw(s)
		if flaw == nameBadByte && (at < 0 || at >= len(s)) {
			t.Fatalf("%q: offset %d", s, at)
		}
		if flaw != nameOK && !strings.Contains(describeHostName(s), "is not a host name") {
			t.Fatalf("%q: %s", s, describeHostName(s))
		}
	})
}
