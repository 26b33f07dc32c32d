package cfn

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// intrinsicPrefix starts every string that stands for an intrinsic
// function. It holds NUL characters, which no key or value of system.yaml
// can hold (the loader rejects control characters, escaped or not) and
// which no CloudFormation property accepts, so a literal string is never
// taken for a function.
const intrinsicPrefix = "\x00cfn\x00"

// DecodeIntrinsic returns the JSON object of the intrinsic function that s
// stands for, such as {"Ref":"Vpc"}, and true; or false when s is a plain
// string. Strings inside the object may stand for functions in turn.
func DecodeIntrinsic(s string) (json string, ok bool) {
	return strings.CutPrefix(s, intrinsicPrefix)
}

// intrinsic returns the string that stands for {"<name>": <arg>}, arg being
// JSON already.
func intrinsic(name string, arg []byte) string {
	b := make([]byte, 0, len(intrinsicPrefix)+len(name)+len(arg)+6)
	b = append(b, intrinsicPrefix...)
	b = append(b, '{')
	b = AppendJSONString(b, name)
	b = append(b, ':')
	b = append(b, arg...)
	b = append(b, '}')
	return string(b)
}

// Ref stands for {"Ref": logicalName}: a resource's reference value or a
// parameter's value.
func Ref(logicalName string) string { return intrinsic("Ref", AppendJSONString(nil, logicalName)) }

// RefPtr is Ref for optional properties.
func RefPtr(logicalName string) *string { return String(Ref(logicalName)) }

// GetAtt stands for {"Fn::GetAtt": [logicalName, attribute]}.
func GetAtt(logicalName, attribute string) string {
	return intrinsic("Fn::GetAtt", appendStrings(nil, logicalName, attribute))
}

// GetAttPtr is GetAtt for optional properties.
func GetAttPtr(logicalName, attribute string) *string { return String(GetAtt(logicalName, attribute)) }

// Sub stands for {"Fn::Sub": template}.
func Sub(template string) string { return intrinsic("Fn::Sub", AppendJSONString(nil, template)) }

// SubPtr is Sub for optional properties.
func SubPtr(template string) *string { return String(Sub(template)) }

// ImportValue stands for {"Fn::ImportValue": exportName}.
func ImportValue(exportName string) string {
	return intrinsic("Fn::ImportValue", AppendJSONString(nil, exportName))
}

// GetAZs stands for {"Fn::GetAZs": region}; "" is the stack's region.
func GetAZs(region string) string { return intrinsic("Fn::GetAZs", AppendJSONString(nil, region)) }

// Select stands for {"Fn::Select": [index, list]}, list being a function
// that returns a list (such as GetAZs or CIDR).
func Select(index int, list string) string {
	b := append([]byte{'['}, strconv.Itoa(index)...)
	b = append(b, ',')
	b = AppendJSONString(b, list)
	return intrinsic("Fn::Select", append(b, ']'))
}

// SelectPtr is Select for optional properties.
func SelectPtr(index int, list string) *string { return String(Select(index, list)) }

// CIDR stands for {"Fn::Cidr": [ipBlock, count, cidrBits]}.
func CIDR(ipBlock string, count, cidrBits int) string {
	b := AppendJSONString([]byte{'['}, ipBlock)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(count), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(cidrBits), 10)
	return intrinsic("Fn::Cidr", append(b, ']'))
}

// Join stands for {"Fn::Join": [delimiter, values]}.
func Join(delimiter string, values []string) string {
	b := AppendJSONString([]byte{'['}, delimiter)
	b = append(b, ',')
	b = appendStrings(b, values...)
	return intrinsic("Fn::Join", append(b, ']'))
}

// If stands for {"Fn::If": [condition, ifTrue, ifFalse]}.
func If(condition, ifTrue, ifFalse string) string {
	return intrinsic("Fn::If", appendStrings(nil, condition, ifTrue, ifFalse))
}

// Equals stands for {"Fn::Equals": [a, b]}.
func Equals(a, b string) string { return intrinsic("Fn::Equals", appendStrings(nil, a, b)) }

// Not stands for {"Fn::Not": [condition]}.
func Not(condition string) string { return intrinsic("Fn::Not", appendStrings(nil, condition)) }

// appendStrings appends the JSON array of ss.
func appendStrings(b []byte, ss ...string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s quoted as encoding/json does without HTML
// escaping: \" \\ \b \f \n \r \t, other control characters as \u00XX,
// U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
