package tlsparse

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/exeimage"
)

func TestSniff(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"", SniffEmpty},
		{"\x16\x03\x01\x02\x00\x01", SniffTLS},
		{"\x15\x03\x03\x00\x02\x02\x28", SniffTLS},
		{"\x17\x03", SniffBinary}, // too short to tell
		{"SSH-2.0-OpenSSH_9.6\r\n", SniffSSH},
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", SniffHTTP},
		{"CONNECT example.com:443 HTTP/1.1\r\n", SniffHTTP},
		{"HTTP/1.1 200 OK\r\n", SniffHTTP},
		{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", SniffHTTP},
		{"220 mail.example.com ESMTP Postfix\r\n", SniffSMTP},
		{"EHLO client.example\r\n", SniffSMTP},
		{"220 (vsFTPd 3.0.5)\r\n", SniffFTP},
		{"220 welcome\r\n", SniffBanner},
		{"220 ProFTPD Server ready FTP\r\n", SniffFTP},
		{"USER anonymous\r\n", SniffFTP},
		{"+OK Dovecot ready.\r\n", SniffPOP3},
		{"* OK [CAPABILITY IMAP4rev1] ready\r\n", SniffIMAP},
		{"\x05\x01\x00", SniffSOCKS},
		{"\x05\x02\x00\x02\x05\x01\x00\x03", SniffSOCKS},
		{"\x05\x00", SniffSOCKS},
		{"\x04\x01\x01\xbb\x5d\xb8\xd8\x77\x00", SniffSOCKS},
		{"\x00\x5a\x99\xb4\x0a\xb4\x9c\xf9", SniffSOCKS},
		{"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00", SniffRDP},
		{"\x00\x00\x00\x45\xfeSMB\x40\x00", SniffSMB},
		{"hello there, plain words\n", SniffText},
		{"\x00\x01\x02\x03\xff\xfe\x80\x81", SniffBinary},
	}
	for _, tc := range cases {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// peImage is the start of a PE file as linkers write it: the MZ header
// with e_lfanew, the DOS stub, then the PE signature at e_lfanew.
func peImage(lfanew int) []byte {
	b := make([]byte, lfanew+24)
	exeimage.WritePE(b, lfanew)
	return b
}

func TestSniffExecutable(t *testing.T) {
	pe := peImage(0x80)
	stage := binary.LittleEndian.AppendUint32(nil, 0x2d000) // a stager's length, then the stage
	stage = append(stage, pe...)
	farPE := peImage(0x400)[:300] // e_lfanew past the bytes: the stub says it
	elf := []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00")
	badLfanew := peImage(0x80)
	copy(badLfanew[0x80:], "XX")
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"PE", pe, SniffExec},
		{"PE after a 4-byte length", stage, SniffExec},
		{"PE header beyond the bytes, DOS stub", farPE, SniffExec},
		{"ELF", elf, SniffExec},
		{"ELF after a length", append([]byte{0, 0x10, 0, 0}, elf...), SniffExec},
		{"MZ with e_lfanew at no PE header", badLfanew, SniffBinary},
		{"MZ too short", []byte("MZ\x90\x00\x03\x00"), SniffBinary},
		{"text starting MZ", []byte("MZ is a word " + strings.Repeat("x", 80)), SniffText},
		{"ELF magic, wrong class", []byte("\x7fELF\x07\x01\x01\x00"), SniffBinary},
		{"PE at another offset", append(make([]byte, 8), pe...), SniffBinary},
	}
	for _, tc := range cases {
		if got := Sniff(tc.in); got != tc.want {
			t.Errorf("%s: Sniff = %q, want %q", tc.name, got, tc.want)
		}
	}
}
