package diag

import "strings"

// Closest returns the candidate nearest to got when it is near enough to be a
// likely typo, else "". Case is ignored; an exact match is not a suggestion.
// "Near enough" grows with the candidate's length: one edit up to 4
// characters, two up to 8, three beyond. Ties go to the candidate that sorts
// first, so the answer does not depend on the order of candidates.
func Closest(got string, candidates []string) string {
	lower := strings.ToLower(got)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := EditDistance(lower, strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if best == "" || best == got {
		return ""
	}
	limit := 1
	switch n := len([]rune(best)); {
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	if bestDist > limit || (bestDist > 0 && bestDist >= len([]rune(got))) {
		return ""
	}
	return best
}

// EditDistance is the optimal-string-alignment distance of a and b, counted
// in runes: an insertion, a deletion, a substitution or a swap of neighbours
// costs 1.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
