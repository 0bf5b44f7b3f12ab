package tlsparse

import (
	"bytes"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/program"
	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// Labels returned by Sniff.
const (
	SniffEmpty    = "empty"      // no bytes
	SniffTLS      = "tls"        // a TLS record header, or an SSLv2 hello
	SniffSSH      = "ssh"        // "SSH-" identification string
	SniffHTTP     = "http"       // HTTP/1.x request or response, HTTP/2 preface
	SniffSMTP     = "smtp"       // SMTP greeting or EHLO/HELO
	SniffFTP      = "ftp"        // FTP greeting or USER
	SniffPOP3     = "pop3"       // "+OK" greeting
	SniffIMAP     = "imap"       // "* OK" / "* PREAUTH" greeting
	SniffBanner   = "banner"     // another "NNN text" reply-code greeting
	SniffSOCKS    = "socks"      // SOCKS4 or SOCKS5 greeting or reply
	SniffRDP      = "rdp"        // TPKT + X.224 connection request/confirm
	SniffSMB      = "smb"        // NetBIOS session + SMB1/SMB2 header
	SniffExec     = "executable" // a Windows PE or ELF program, raw (a stager's payload)
	SniffMTProto  = "mtproto"    // Telegram's MTProto, obfuscated transport (see looksMTProto)
	SniffOpenVPN  = "openvpn"    // OpenVPN's TCP framing with no TLS in clear (see flow.OpenVPNSession)
	SniffWhatsApp = "whatsapp"   // WhatsApp's chat protocol (see looksWhatsApp)
	SniffDNS      = "dns"        // DNS over TCP (see looksDNS)
	SniffText     = "text"       // mostly printable ASCII, nothing above
	SniffBinary   = "binary"     // anything else
)

// AppQUIC is the AppProto of every QUIC flow (Suricata's app_proto name),
// whether or not its Initial packets could be read: TLS inside QUIC.
const AppQUIC = "quic"

// GoogleQUIC labels (for evidence, not app_proto, which stays "quic" as
// Suricata's does) a QUIC flow whose CRYPTO stream carries Google QUIC
// Crypto's tag-value messages (Handshake.Google): not TLS, by design.
const GoogleQUIC = "gquic"

// sniffWindow is how many of a stream's first bytes Sniff looks at.
const sniffWindow = 512

// SniffNeeds is how many first bytes Sniff needs to name every protocol
// it knows (MTProto's obfuscated header is the longest): "binary" from
// fewer, where the capture lost what came next, may still be one of them.
const SniffNeeds = obfuscatedHeaderLen

// Sniff labels what the start of one direction of a stream looks like. It
// is meant for streams that did not parse as TLS: cheap, deterministic, and
// decided from the first bytes only (at most sniffWindow are looked at).
func Sniff(stream []byte) string {
	b := stream[:min(len(stream), sniffWindow)]
	switch {
	case len(b) == 0:
		return SniffEmpty
	case looksTLS(b):
		return SniffTLS
	case bytes.HasPrefix(b, []byte("SSH-")):
		return SniffSSH
	case looksHTTP(b):
		return SniffHTTP
	case looksSOCKS(b):
		return SniffSOCKS
	case looksRDP(b):
		return SniffRDP
	case looksSMB(b):
		return SniffSMB
	case program.Starts(b):
		return SniffExec
	case flow.OpenVPNSession(b):
		return SniffOpenVPN
	case looksWhatsApp(b):
		return SniffWhatsApp
	case looksDNS(b):
		return SniffDNS
	}
	line := firstLine(b)
	switch {
	case hasPrefixFold(line, "+OK"):
		return SniffPOP3
	case hasPrefixFold(line, "* OK") || hasPrefixFold(line, "* PREAUTH"):
		return SniffIMAP
	case hasPrefixFold(line, "EHLO ") || hasPrefixFold(line, "HELO "):
		return SniffSMTP
	case hasPrefixFold(line, "USER "):
		return SniffFTP
	case isReplyLine(line):
		switch {
		case containsFold(line, "SMTP"):
			return SniffSMTP
		case containsFold(line, "FTP"):
			return SniffFTP
		}
		return SniffBanner
	}
	if mostlyText(b) {
		return SniffText
	}
	if looksMTProto(b) {
		return SniffMTProto
	}
	return SniffBinary
}

func looksTLS(b []byte) bool {
	if b[0]&0x80 != 0 {
		return tlsrecord.IsSSLv2ClientHello(b) || tlsrecord.IsSSLv2ServerHello(b)
	}
	return len(b) >= 3 && tlsrecord.ValidHeader(b[:min(len(b), RecordHeaderLen)])
}

var httpPrefixes = [][]byte{
	[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "),
	[]byte("DELETE "), []byte("OPTIONS "), []byte("CONNECT "), []byte("PATCH "),
	[]byte("TRACE "), []byte("HTTP/1."), []byte("PRI * HTTP/2.0"),
}

func looksHTTP(b []byte) bool {
	for _, p := range httpPrefixes {
		if bytes.HasPrefix(b, p) {
			return true
		}
	}
	return false
}

// looksSOCKS matches a SOCKS5 method greeting (05 n methods...) or method
// reply, a SOCKS4/4a request (04 01|02 port ip userid 00) or reply (00 5a-5d).
func looksSOCKS(b []byte) bool {
	switch b[0] {
	case 5:
		if len(b) < 2 {
			return false
		}
		n := int(b[1])
		if n >= 1 && n <= 10 && len(b) >= 2+n {
			for _, m := range b[2 : 2+n] {
				if m > 0x09 && (m < 0x80 || m == 0xff) {
					return false
				}
			}
			return len(b) == 2+n || b[2+n] == 5 || b[2+n] == 1
		}
		// server's method choice: 05 00 | 05 02 | 05 ff, maybe followed by a reply
		return (b[1] == 0 || b[1] == 2 || b[1] == 0xff) && (len(b) == 2 || b[2] == 5 || b[2] == 1)
	case 4:
		if len(b) < 9 || (b[1] != 1 && b[1] != 2) {
			return false
		}
		return bytes.IndexByte(b[8:], 0) >= 0
	case 0:
		return len(b) == 8 && b[1] >= 0x5a && b[1] <= 0x5d
	}
	return false
}

// looksRDP matches TPKT (03 00 len) carrying an X.224 connection request
// (0xe0) or confirm (0xd0).
func looksRDP(b []byte) bool {
	if len(b) < 7 || b[0] != 3 || b[1] != 0 {
		return false
	}
	n := int(b[2])<<8 | int(b[3])
	return n >= 7 && (b[5] == 0xe0 || b[5] == 0xd0)
}

func looksSMB(b []byte) bool {
	return len(b) >= 8 && b[0] == 0 &&
		(bytes.Equal(b[4:8], []byte("\xffSMB")) || bytes.Equal(b[4:8], []byte("\xfeSMB")))
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, "\r")
}

// isReplyLine matches "NNN " or "NNN-" with a 2xx-5xx code.
func isReplyLine(l []byte) bool {
	return len(l) >= 4 && l[0] >= '1' && l[0] <= '5' && isDigit(l[1]) && isDigit(l[2]) &&
		(l[3] == ' ' || l[3] == '-')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasPrefixFold(b []byte, p string) bool {
	return len(b) >= len(p) && bytes.EqualFold(b[:len(p)], []byte(p))
}

func containsFold(b []byte, s string) bool {
	for i := 0; i+len(s) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(s)], []byte(s)) {
			return true
		}
	}
	return false
}

// mostlyText reports whether at least 90% of the first 64 bytes are
// printable ASCII or whitespace.
func mostlyText(b []byte) bool {
	b = b[:min(len(b), 64)]
	n := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\r' || c == '\n' || c == '\t' {
			n++
		}
	}
	return n*10 >= len(b)*9
}
