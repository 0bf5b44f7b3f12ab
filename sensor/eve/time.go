package eve

import "time"

// TimeFormat is Suricata's eve.json timestamp layout.
const TimeFormat = "2006-01-02T15:04:05.000000-0700"

// ParseTime parses a timestamp written with TimeFormat.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

// AppendTime appends t in TimeFormat. time.Format parses its layout
// on every call; flow records carry two timestamps each, so this fixed
// layout is written directly (a tenth of the cost).
func AppendTime(b []byte, t time.Time) []byte {
	_, offset := t.Zone()
	t = t.Add(time.Duration(offset) * time.Second) // wall clock of t's zone
	year, month, day := t.UTC().Date()
	hour, minute, sec := t.UTC().Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1000, 6)
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = appendDigits(b, offset/3600, 2)
	return appendDigits(b, offset%3600/60, 2)
}

// appendDigits appends v (0 <= v < 10^width, else its low digits) zero-padded.
func appendDigits(b []byte, v, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[:width]...)
}

// FormatTime formats t in TimeFormat.
func FormatTime(t time.Time) string {
	var buf [32]byte
	return string(AppendTime(buf[:0], t))
}
