package quic

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// chromeCHLO is the CHLO of nDPI's gquic.pcap (testdata), as Chrome 85
// sent it in Google QUIC Q050.
func chromeCHLO(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile("testdata/ndpi-gquic-q050-chlo.hex")
	if err != nil {
		tb.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(raw)) {
		if !strings.HasPrefix(line, "#") {
			digits.WriteString(strings.TrimSpace(line))
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// googleMessage builds a tag-value message of tag msg from tag and value
// pairs.
func googleMessage(msg string, pairs ...string) []byte {
	n := len(pairs) / 2
	b := append([]byte(msg), 0, 0, 0, 0)
	binary.LittleEndian.PutUint16(b[4:], uint16(n))
	end := uint32(0)
	for i := 0; i < n; i++ {
		tag := []byte(pairs[2*i] + "\x00\x00\x00\x00")[:4]
		end += uint32(len(pairs[2*i+1]))
		b = append(b, tag...)
		b = binary.LittleEndian.AppendUint32(b, end)
	}
	for i := 0; i < n; i++ {
		b = append(b, pairs[2*i+1]...)
	}
	return b
}

func TestParseGoogleHelloChrome(t *testing.T) {
	b := chromeCHLO(t)
	if !IsGoogleHandshake(b) {
		t.Fatal("Chrome's CHLO not taken for Google QUIC's handshake")
	}
	h, err := ParseGoogleHello(b)
	if err != nil {
		t.Fatal(err)
	}
	want := "MAD-PAD-SNI-STK-VER-CCS-NONC-AEAD-UAID-SCID-TCID-PDMD-ICSL-NONP-PUBS-MIDS-KEXS-XLCT-CSCT-COPT-CCRT-IRTT-CFCW-SFCW"
	if got := strings.Join(h.Tags, "-"); got != want {
		t.Errorf("tags %s, want %s", got, want)
	}
	if h.SNI != "www.gstatic.com" || h.UAID != "canary Chrome/85.0.4169.0 Windows NT 10.0; Win64; x64" || h.Truncated {
		t.Errorf("SNI %q, UAID %q, truncated %v", h.SNI, h.UAID, h.Truncated)
	}

	// Cut before the SNI's value (the entries end at 200, PAD's 506
	// bytes come first): the tags stay whole, the name is not read.
	h, err = ParseGoogleHello(b[:600])
	if err != nil {
		t.Fatal(err)
	}
	if !h.Truncated || h.SNI != "" || len(h.Tags) != 24 {
		t.Errorf("cut at 600: truncated %v, SNI %q, %d tags", h.Truncated, h.SNI, len(h.Tags))
	}
	if _, err := ParseGoogleHello(b[:100]); !errors.Is(err, ErrGoogleShort) {
		t.Errorf("cut inside the entries: %v, want ErrGoogleShort", err)
	}
}

func TestParseGoogleHelloRefuses(t *testing.T) {
	ok := googleMessage("CHLO", "SNI", "example.com", "UAID", "ua")
	if h, err := ParseGoogleHello(ok); err != nil || h.SNI != "example.com" || h.UAID != "ua" || !slices.Equal(h.Tags, []string{"SNI", "UAID"}) {
		t.Fatalf("built message: %+v, %v", h, err)
	}
	back := slices.Clone(ok)
	binary.LittleEndian.PutUint32(back[20:], 3) // UAID ends before SNI does
	many := slices.Clone(ok)
	binary.LittleEndian.PutUint16(many[4:], maxGoogleEntries+1)
	for name, c := range map[string]struct {
		b    []byte
		want error
	}{
		"rejection":       {googleMessage("REJ\x00", "STK", "x"), ErrNotCHLO},
		"TLS hello":       {[]byte{1, 0, 0, 40, 3, 3}, ErrNotCHLO},
		"offsets go back": {back, ErrGoogleOffsetUp},
		"too many":        {many, ErrGoogleEntries},
	} {
		if _, err := ParseGoogleHello(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	for _, m := range []string{"CHLO", "REJ\x00", "SHLO"} {
		if !IsGoogleHandshake(googleMessage(m)) {
			t.Errorf("%q not taken for Google QUIC's handshake", m)
		}
	}
	if IsGoogleHandshake([]byte{1, 0, 1, 252, 3, 3}) || IsGoogleHandshake([]byte("CHL")) {
		t.Error("a TLS hello or a cut tag taken for Google QUIC's handshake")
	}
}

// TestFullGoogleHello: a client's handshake is over, as far as a sensor
// can read it, with its first whole CHLO that names a server config
// (SCID): at once for Chrome's CHLO with a config it kept, after the
// inchoate one and the REJ otherwise; never on a cut one.
func TestFullGoogleHello(t *testing.T) {
	chrome := chromeCHLO(t) // carries an SCID
	inchoate := googleMessage("CHLO", "PAD", "xxxx", "SNI", "example.com")
	full := googleMessage("CHLO", "SNI", "example.com", "SCID", "0123456789abcdef")
	for name, c := range map[string]struct {
		b    []byte
		want bool
	}{
		"Chrome's, with a kept config": {chrome, true},
		"inchoate":                     {inchoate, false},
		"inchoate, then full":          {append(slices.Clone(inchoate), full...), true},
		"inchoate, then full cut":      {append(slices.Clone(inchoate), full[:len(full)-1]...), false},
		"full, cut":                    {chrome[:1000], false},
		"a TLS hello":                  {[]byte{1, 0, 0, 4, 3, 3, 0, 0}, false},
	} {
		if got := FullGoogleHello(c.b); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}

// FuzzParseGoogleHello: any bytes parse without panic, and a parsed hello
// has one tag per entry and names read from inside its input.
func FuzzParseGoogleHello(f *testing.F) {
	b := chromeCHLO(f)
	f.Add(b)
	f.Add(b[:600])
	f.Add(googleMessage("CHLO", "SNI", "example.com"))
	f.Add(googleMessage("REJ\x00", "STK", "x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseGoogleHello(b)
		IsGoogleHandshake(b)
		FullGoogleHello(b)
		ParseGoogleHellos(b)
		if err != nil {
			return
		}
		if n := int(binary.LittleEndian.Uint16(b[4:])); len(h.Tags) != n {
			t.Fatalf("%d tags for %d entries", len(h.Tags), n)
		}
		if len(h.SNI)+len(h.UAID) > len(b) {
			t.Fatalf("names of %d bytes from %d", len(h.SNI)+len(h.UAID), len(b))
		}
	})
}
