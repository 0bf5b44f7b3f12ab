package evidence

import "strconv"

// A server name in SNI is a DNS host name (RFC 6066 3): labels of
// letters, digits and hyphens (underscores occur in real names too) of
// 1 to 63 characters, 253 in all, ASCII only (an international name
// travels as its A-label, xn--...). A name outside that is no name a
// client resolved: a scanner's or an exploit's string (${jndi:...},
// quotes, slashes, spaces), or bytes of another protocol.

// nameFlaw says why a server name is not a host name.
type nameFlaw uint8

const (
	nameOK nameFlaw = iota
	nameTooLong
	nameEmptyLabel
	nameLongLabel
	nameBadByte
)

// hostNameFlaw judges a server name; at is the offending byte's offset
// for nameBadByte. One trailing dot is let be (some clients send it,
// though RFC 6066 says not to); an IP literal is sni.ip_literal's.
func hostNameFlaw(s string) (flaw nameFlaw, at int) {
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if len(s) > 253 {
		return nameTooLong, 0
	}
	label := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if label == 0 {
				return nameEmptyLabel, i
			}
			label = 0
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_':
			label++
			if label > 63 {
				return nameLongLabel, i
			}
		default:
			return nameBadByte, i
		}
	}
	if label == 0 {
		return nameEmptyLabel, len(s)
	}
	return nameOK, 0
}

// describeHostName words a server name's flaw.
func describeHostName(s string) string {
	flaw, at := hostNameFlaw(s)
	why := "an empty label"
	switch flaw {
	case nameTooLong:
		why = strconv.Itoa(len(s)) + " characters, over the 253 a host name may have"
	case nameLongLabel:
		why = "a label over 63 characters"
	case nameBadByte:
		why = "the byte " + strconv.QuoteRuneToASCII(rune(s[at])) + " at " + strconv.Itoa(at) + ", which no host name holds"
		if s[at] >= 0x80 {
			why = "the byte 0x" + strconv.FormatUint(uint64(s[at]), 16) + " at " + strconv.Itoa(at) + " (a host name is ASCII)"
		}
	}
	return "the server name " + strconv.Quote(s) + " is not a host name (" + why + "): a scanner's or an exploit's string, not a server a client resolved"
}
