package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// FormatVersion is the file format this build writes and reads.
const FormatVersion = 1

var magic = [8]byte{'T', 'L', 'S', 'N', 'T', 'R', 'Y', 'M'}

// Kinds of model, and the prefix layouts a model can be trained on.
const (
	KindCNNIForest = "cnn-iforest"
	KindVAE        = "vae"
	KindHybrid     = "hybrid"

	// LayoutPrefix1024 is DESIGN.md's prefix: the first 1024 payload bytes
	// of both directions in send order, zero-padded, as a 32x32 image.
	LayoutPrefix1024 = "prefix1024-sendorder-v1"
	// LayoutPrefix1024Masked is that prefix with the handshake's random
	// fields (randoms, session ids, key shares) zeroed (detector/mask).
	LayoutPrefix1024Masked = "prefix1024-sendorder-masked-v1"
)

var (
	knownKinds   = []string{KindCNNIForest, KindVAE, KindHybrid}
	knownLayouts = []string{LayoutPrefix1024, LayoutPrefix1024Masked}
)

// ErrCorrupt is wrapped by every error about a file that is not a valid
// model file (truncated, wrong magic, bad checksum, bad framing).
var ErrCorrupt = errors.New("corrupt model file")

// ErrUnsupported is wrapped when a valid file needs what this build does
// not have (a newer format, an unknown kind or layout).
var ErrUnsupported = errors.New("unsupported model file")

// Meta describes a model.
type Meta struct {
	Kind   string `json:"kind"`
	Layout string `json:"layout"`
	// Created is when the model was made; optional (training leaves it
	// unset so that the same data and seed give the same file and id).
	Created   time.Time `json:"created,omitzero"`
	Threshold float64   `json:"threshold"`  // default score threshold: alert at or above
	AlertRate float64   `json:"alert_rate"` // share of training flows the threshold was set to flag
	Training  Training  `json:"training"`
	// Params holds kind-specific settings (tree counts, feature lists...).
	Params map[string]string `json:"params,omitempty"`
}

// Training summarises what a model was trained on and how it went.
type Training struct {
	Flows          int                `json:"flows"`
	ValidationFlow int                `json:"validation_flows"`
	Sources        []string           `json:"sources"`
	Epochs         int                `json:"epochs"`
	Seed           uint64             `json:"seed"`
	FinalLoss      float64            `json:"final_loss"`
	ValidationLoss float64            `json:"validation_loss"`
	ScoreQuantiles map[string]float64 `json:"score_quantiles,omitempty"` // "0.5", "0.99", "0.999"...
	Notes          string             `json:"notes,omitempty"`
}

// Section is a named blob of model data.
type Section struct {
	Name string
	Data []byte
}

// File is a decoded model file.
type File struct {
	Meta     Meta
	Sections []Section
	// ID identifies the file's contents: the first 12 hex digits of its
	// checksum (set by Encode and Decode).
	ID string
}

const maxMetaLen = 1 << 20

// Encode serialises the file and sets its ID.
func (f *File) Encode() ([]byte, error) {
	if err := f.Meta.validate(); err != nil {
		return nil, err
	}
	meta, err := json.Marshal(f.Meta)
	if err != nil {
		return nil, fmt.Errorf("model metadata: %w", err)
	}
	var b bytes.Buffer
	b.Write(magic[:])
	binary.Write(&b, binary.LittleEndian, uint16(FormatVersion))
	binary.Write(&b, binary.LittleEndian, uint32(len(meta)))
	b.Write(meta)
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if s.Name == "" || len(s.Name) > 255 || seen[s.Name] {
			return nil, fmt.Errorf("model section %q: names must be unique, 1 to 255 bytes", s.Name)
		}
		if uint64(len(s.Data)) > math.MaxUint32 {
			return nil, fmt.Errorf("model section %q: %d bytes is too large", s.Name, len(s.Data))
		}
		seen[s.Name] = true
		b.WriteByte(byte(len(s.Name)))
		b.WriteString(s.Name)
		binary.Write(&b, binary.LittleEndian, uint32(len(s.Data)))
		b.Write(s.Data)
	}
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	f.ID = hex.EncodeToString(sum[:6])
	return b.Bytes(), nil
}

// Decode parses and checks a model file.
func Decode(data []byte) (*File, error) {
	const head = len(magic) + 2 + 4
	if len(data) < head+sha256.Size {
		return nil, fmt.Errorf("%w: %d bytes is too short for a model file", ErrCorrupt, len(data))
	}
	if !bytes.Equal(data[:len(magic)], magic[:]) {
		return nil, fmt.Errorf("%w: not a tlsentry model file (magic %q)", ErrCorrupt, data[:len(magic)])
	}
	if v := binary.LittleEndian.Uint16(data[8:10]); v != FormatVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads version %d", ErrUnsupported, v, FormatVersion)
	}
	body, stored := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], stored) {
		return nil, fmt.Errorf("%w: checksum mismatch (truncated or altered file)", ErrCorrupt)
	}
	f := &File{ID: hex.EncodeToString(sum[:6])}
	n := int(binary.LittleEndian.Uint32(data[10:14]))
	rest := body[head:]
	if n > maxMetaLen || n > len(rest) {
		return nil, fmt.Errorf("%w: metadata of %d bytes does not fit", ErrCorrupt, n)
	}
	dec := json.NewDecoder(bytes.NewReader(rest[:n]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.Meta); err != nil {
		return nil, fmt.Errorf("%w: metadata: %w", ErrCorrupt, err)
	}
	if err := f.Meta.validate(); err != nil {
		return nil, err
	}
	rest = rest[n:]
	for len(rest) > 0 {
		k := int(rest[0])
		if k == 0 || 1+k+4 > len(rest) {
			return nil, fmt.Errorf("%w: section header cut or empty name", ErrCorrupt)
		}
		name := string(rest[1 : 1+k])
		m := int(binary.LittleEndian.Uint32(rest[1+k : 1+k+4]))
		rest = rest[1+k+4:]
		if m > len(rest) {
			return nil, fmt.Errorf("%w: section %q says %d bytes, %d remain", ErrCorrupt, name, m, len(rest))
		}
		if f.Section(name) != nil {
			return nil, fmt.Errorf("%w: section %q appears twice", ErrCorrupt, name)
		}
		f.Sections = append(f.Sections, Section{Name: name, Data: rest[:m:m]})
		rest = rest[m:]
	}
	return f, nil
}

func (m *Meta) validate() error {
	if !slices.Contains(knownKinds, m.Kind) {
		return fmt.Errorf("%w: model kind %q (this build knows %v)", ErrUnsupported, m.Kind, knownKinds)
	}
	if !slices.Contains(knownLayouts, m.Layout) {
		return fmt.Errorf("%w: prefix layout %q (this build knows %v)", ErrUnsupported, m.Layout, knownLayouts)
	}
	if math.IsNaN(m.Threshold) || math.IsInf(m.Threshold, 0) {
		return fmt.Errorf("%w: threshold %v", ErrCorrupt, m.Threshold)
	}
	return nil
}

// Section returns the named section's data, or nil.
func (f *File) Section(name string) []byte {
	for _, s := range f.Sections {
		if s.Name == name {
			return s.Data
		}
	}
	return nil
}

// AddFloat32s appends a section of float32 values.
func (f *File) AddFloat32s(name string, v []float32) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	f.Sections = append(f.Sections, Section{Name: name, Data: b})
}

// Float32s reads a section of exactly want float32 values, refusing NaN
// and infinities.
func (f *File) Float32s(name string, want int) ([]float32, error) {
	b := f.Section(name)
	if b == nil {
		return nil, fmt.Errorf("%w: section %q is missing", ErrCorrupt, name)
	}
	if len(b) != 4*want {
		return nil, fmt.Errorf("%w: section %q has %d bytes, want %d float32 values", ErrCorrupt, name, len(b), want)
	}
	out := make([]float32, want)
	for i := range out {
		x := math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%w: section %q value %d is %v", ErrCorrupt, name, i, x)
		}
		out[i] = x
	}
	return out, nil
}
