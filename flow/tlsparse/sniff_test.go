package tlsparse

import "testing"

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
