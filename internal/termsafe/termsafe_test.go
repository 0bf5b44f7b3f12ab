package termsafe

import "testing"

func TestValue(t *testing.T) {
	for in, want := range map[string]string{
		"www.example.com":                      "www.example.com",
		"t13d1516h2_8daaf6152771_b186095e22b6": "t13d1516h2_8daaf6152771_b186095e22b6",
		"a\nb":                                 `"a\nb"`,
		"\x1b[31mred":                          `"\x1b[31mred"`,
		"\u202egnp.exe":                        `"\u202egnp.exe"`, // right-to-left override
		"caf\u00e9":                            `"caf\u00e9"`,
		`"\x1b"`:                               `"\"\\x1b\""`, // not the same as the escape itself
		"":                                     "",
	} {
		if got := Value(in); got != want {
			t.Errorf("Value(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"capture.pcap: packet 3: capture file is truncated": "capture.pcap: packet 3: capture file is truncated",
		"/tmp/évian.pcap: not a pcap file":                  "/tmp/évian.pcap: not a pcap file", // letters stay
		"/tmp/a\nforged line":                               `/tmp/a\nforged line`,
		"/tmp/\x1b]0;pwned\x07\x1b[2J.pcap":                 `/tmp/\x1b]0;pwned\a\x1b[2J.pcap`,
		"x\u009b31m":                                        `x\u009b31m`, // C1 CSI
		"\u202egnp.exe":                                     `\u202egnp.exe`,
		"zero\u200bwidth":                                   `zero\u200bwidth`,
		"bad \xff byte":                                     `bad \xff byte`,
		"del\x7f":                                           `del\x7f`,
		`-ports: item 2, "x\x1b[2J", is not a TCP port`:     `-ports: item 2, "x\x1b[2J", is not a TCP port`, // quoted already
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %s, want %s", in, got, want)
		}
	}
}
