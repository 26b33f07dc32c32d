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
	b = appendString(b, name)
	b = append(b, ':')
	b = append(b, arg...)
	b = append(b, '}')
	return string(b)
}

// Ref stands for {"Ref": logicalName}: a resource's reference value or a
// parameter's value.
func Ref(logicalName string) string { return intrinsic("Ref", appendString(nil, logicalName)) }

// RefPtr is Ref for optional properties.
func RefPtr(logicalName string) *string { return String(Ref(logicalName)) }

// GetAtt stands for {"Fn::GetAtt": [logicalName, attribute]}.
func GetAtt(logicalName, attribute string) string {
	return intrinsic("Fn::GetAtt", appendStrings(nil, logicalName, attribute))
}

// GetAttPtr is GetAtt for optional properties.
func GetAttPtr(logicalName, attribute string) *string { return String(GetAtt(logicalName, attribute)) }

// Sub stands for {"Fn::Sub": template}.
func Sub(template string) string { return intrinsic("Fn::Sub", appendString(nil, template)) }

// SubPtr is Sub for optional properties.
func SubPtr(template string) *string { return String(Sub(template)) }

// ImportValue stands for {"Fn::ImportValue": exportName}.
func ImportValue(exportName string) string {
	return intrinsic("Fn::ImportValue", appendString(nil, exportName))
}

// GetAZs stands for {"Fn::GetAZs": region}; "" is the stack's region.
func GetAZs(region string) string { return intrinsic("Fn::GetAZs", appendString(nil, region)) }

// Select stands for {"Fn::Select": [index, list]}, list being a function
// that returns a list (such as GetAZs or CIDR).
func Select(index int, list string) string {
	b := append([]byte{'['}, strconv.Itoa(index)...)
	b = append(b, ',')
	b = appendString(b, list)
	return intrinsic("Fn::Select", append(b, ']'))
}

// SelectPtr is Select for optional properties.
func SelectPtr(index int, list string) *string { return String(Select(index, list)) }

// CIDR stands for {"Fn::Cidr": [ipBlock, count, cidrBits]}.
func CIDR(ipBlock string, count, cidrBits int) string {
	b := appendString([]byte{'['}, ipBlock)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(count), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(cidrBits), 10)
	return intrinsic("Fn::Cidr", append(b, ']'))
}

// Join stands for {"Fn::Join": [delimiter, values]}.
func Join(delimiter string, values []string) string {
	b := appendString([]byte{'['}, delimiter)
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
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. Bytes that are not UTF-8 become
// U+FFFD, as encoding/json writes them.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}
