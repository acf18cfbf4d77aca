package doctor

// The JSON form's two value types: byte strings from the file system,
// kept lossless whatever their encoding, and optional text, null where
// there is none.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// Schema is the version of the JSON form: 2 since paths became
// lossless objects and absent values null.
const Schema = 2

// Bytes is a string of bytes from the file system or the environment (a
// path, a soname, a variable's value), which need not be UTF-8. In JSON
// it is {"text": "..."} where it is valid UTF-8, and otherwise
// {"bytes": "<standard base64 of the raw bytes>", "escaped": "<Go-quoted
// for display>"}; the empty Bytes, meaning none, is null.
type Bytes string

// bytesJSON is Bytes's JSON object.
type bytesJSON struct {
	Text    *string `json:"text,omitempty"`
	Bytes   *string `json:"bytes,omitempty"`
	Escaped *string `json:"escaped,omitempty"`
}

func (b Bytes) MarshalJSON() ([]byte, error) {
	if b == "" {
		return []byte("null"), nil
	}
	return Value(b).MarshalJSON()
}

func (b *Bytes) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = ""
		return nil
	}
	return (*Value)(b).UnmarshalJSON(data)
}

// Value is Bytes that may be empty and still present: a variable set to
// the empty string is {"text": ""}. Where it may be absent, it is a
// *Value, nil for null.
type Value string

func (v Value) MarshalJSON() ([]byte, error) {
	s := string(v)
	if utf8.ValidString(s) {
		return json.Marshal(bytesJSON{Text: &s})
	}
	raw, escaped := base64.StdEncoding.EncodeToString([]byte(s)), strconv.Quote(s)
	return json.Marshal(bytesJSON{Bytes: &raw, Escaped: &escaped})
}

func (v *Value) UnmarshalJSON(data []byte) error {
	var j bytesJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	switch {
	case j.Text != nil:
		*v = Value(*j.Text)
	case j.Bytes != nil:
		raw, err := base64.StdEncoding.DecodeString(*j.Bytes)
		if err != nil {
			return err
		}
		*v = Value(raw)
	default:
		return errors.New(`a byte string needs "text" or "bytes"`)
	}
	return nil
}

// Opt is text that may be absent: "" is null in JSON.
type Opt string

func (o Opt) MarshalJSON() ([]byte, error) {
	if o == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(o))
}

func (o *Opt) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*o = ""
		return nil
	}
	return json.Unmarshal(data, (*string)(o))
}
