package evelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"
)

// TimeLayout is the layout of the timestamp member: Suricata eve.json's
// (ISO 8601 with microseconds and a +hhmm offset), always written in UTC,
// so "2024-03-01T12:04:05.123456+0000". It is the layout of the flow
// records' own start and end times too (eve.TimeFormat), so a line
// has one time format and eve.json parsers read it.
const TimeLayout = "2006-01-02T15:04:05.000000-0700"

// ErrBody reports an event body that is not a JSON object.
var ErrBody = errors.New("evelog: event body is not a JSON object")

// The zap entry carries the header: its Time is the packet time and its
// Message the event type, so the encoder config below names them
// "timestamp" and "event_type" and drops level, logger name and caller.
// The sensor name is a context field (Core.With) and follows them.
func encoderConfig() zapcore.EncoderConfig {
	return zapcore.EncoderConfig{
		TimeKey:        "timestamp",
		MessageKey:     "event_type",
		LevelKey:       zapcore.OmitKey,
		NameKey:        zapcore.OmitKey,
		CallerKey:      zapcore.OmitKey,
		FunctionKey:    zapcore.OmitKey,
		StacktraceKey:  zapcore.OmitKey,
		SkipLineEnding: true, // the splice adds it
		EncodeTime:     encodeTime,
		EncodeDuration: zapcore.SecondsDurationEncoder,
	}
}

func encodeTime(t time.Time, enc zapcore.PrimitiveArrayEncoder) {
	var buf [40]byte
	enc.AppendByteString(t.UTC().AppendFormat(buf[:0], TimeLayout))
}

// rawBody is how an event's pre-encoded members travel through zap: a
// field of SkipType, which any other encoder ignores, that spliceEncoder
// recognises as the last field of an entry.
type rawBody json.RawMessage

func bodyField(members []byte) zapcore.Field {
	return zapcore.Field{Type: zapcore.SkipType, Interface: rawBody(members)}
}

// spliceEncoder is zap's JSON encoder plus the raw body: the inner
// encoder writes {"timestamp":...,"event_type":...,"host":...}, and
// the body's members go before its closing brace.
type spliceEncoder struct {
	zapcore.Encoder
	pool buffer.Pool
}

func newSpliceEncoder() *spliceEncoder {
	return &spliceEncoder{Encoder: zapcore.NewJSONEncoder(encoderConfig()), pool: buffer.NewPool()}
}

func (e *spliceEncoder) Clone() zapcore.Encoder {
	return &spliceEncoder{Encoder: e.Encoder.Clone(), pool: e.pool}
}

func (e *spliceEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	var members []byte
	if n := len(fields); n > 0 {
		if raw, ok := fields[n-1].Interface.(rawBody); ok && fields[n-1].Type == zapcore.SkipType {
			members, fields = raw, fields[:n-1]
		}
	}
	head, err := e.Encoder.EncodeEntry(ent, fields)
	if err != nil {
		return nil, err
	}
	defer head.Free()
	h := head.Bytes()
	out := e.pool.Get()
	out.AppendBytes(h[:len(h)-1]) // all but the closing brace
	if len(members) > 0 {
		out.AppendByte(',')
		start := out.Len()
		out.AppendBytes(members)
		// A newline in valid JSON can only be whitespace between tokens;
		// blank it so that one event stays one line.
		line := out.Bytes()[start:]
		blank(line, '\n')
		blank(line, '\r')
	}
	out.AppendString("}\n")
	return out, nil
}

// blank turns every c in b into a space. IndexByte, not IndexAny: the
// search runs over every byte of every line (a flood's records are
// kilobytes of base64), and IndexAny looked at them one by one.
func blank(b []byte, c byte) {
	for i := bytes.IndexByte(b, c); i >= 0; i = bytes.IndexByte(b, c) {
		b[i] = ' '
		b = b[i+1:]
	}
}

// objectMembers returns what is between the braces of a JSON object,
// trimmed; it checks only the braces, not the JSON inside.
func objectMembers(body []byte) ([]byte, error) {
	body = bytes.TrimSpace(body)
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, ErrBody
	}
	return bytes.TrimSpace(body[1 : len(body)-1]), nil
}
