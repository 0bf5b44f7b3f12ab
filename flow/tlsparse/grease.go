package tlsparse

// IsGREASE reports whether v is one of the sixteen GREASE values of RFC 8701
// (0x0a0a, 0x1a1a, ... 0xfafa): both bytes equal, low nibble 0xa. GREASE
// values are ignored by every fingerprint in this package.
func IsGREASE(v uint16) bool {
	return v>>8 == v&0xff && v&0x0f == 0x0a
}

// appendNonGREASE appends the values of src that are not GREASE to dst.
func appendNonGREASE(dst, src []uint16) []uint16 {
	for _, v := range src {
		if !IsGREASE(v) {
			dst = append(dst, v)
		}
	}
	return dst
}
