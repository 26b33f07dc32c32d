package deploy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// role is a template of one role with a trust policy and one inline policy.
func role(trust, policy string) any {
	var t any
	doc := `{"Resources": {"DeployRole": {"Type": "AWS::IAM::Role", "Properties": {
		"AssumeRolePolicyDocument": ` + trust + `,
		"Policies": [{"PolicyName": "deploy", "PolicyDocument": ` + policy + `}]}}}}`
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		panic(err)
	}
	return t
}

const (
	trustTooling = `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole",
		"Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/shop-*"}}}]}`
	policyBase = `{"Statement": [
		{"Sid": "Stacks", "Effect": "Allow", "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"], "Resource": "arn:aws:cloudformation:*:*:stack/shop-*"},
		{"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}]}`
)

func TestSecurityChanges(t *testing.T) {
	cases := map[string]struct {
		deployed, built any
		want            []string // SecurityChange.String() fragments, in order
		widens          int
	}{
		"the same policies change nothing": {
			deployed: role(trustTooling, policyBase), built: role(trustTooling, policyBase),
		},
		"a new stack adds every statement": {
			built:  role(trustTooling, policyBase),
			want:   []string{"+ s DeployRole AssumeRolePolicyDocument (statement added): Allow sts:AssumeRole to AWS:arn:aws:iam::111111111111:root when ArnLike aws:PrincipalArn", "+ s DeployRole Policies/deploy (statement added): Allow cloudformation:CreateChangeSet", "- s DeployRole Policies/deploy (deny added): Deny ec2:TerminateInstances"},
			widens: 2,
		},
		"an action added to a statement widens it": {
			deployed: role(trustTooling, policyBase),
			built:    role(trustTooling, strings.Replace(policyBase, `"cloudformation:DescribeStacks"]`, `"cloudformation:DescribeStacks", "cloudformation:DeleteStack"]`, 1)),
			want:     []string{"+ s DeployRole Policies/deploy (statement widened): Allow cloudformation:DeleteStack"},
			widens:   1,
		},
		"a principal added to the trust policy widens it": {
			deployed: role(trustTooling, policyBase),
			built:    role(strings.Replace(trustTooling, `"AWS": "arn:aws:iam::111111111111:root"`, `"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::999999999999:root"]`, 1), policyBase),
			want:     []string{"+ s DeployRole AssumeRolePolicyDocument (statement widened): Allow to AWS:arn:aws:iam::999999999999:root"},
			widens:   1,
		},
		"a condition removed from the trust policy widens it": {
			deployed: role(trustTooling, policyBase),
			built:    role(`{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "sts:AssumeRole"}]}`, policyBase),
			want:     []string{"+ s DeployRole AssumeRolePolicyDocument (statement widened): Allow no longer when ArnLike aws:PrincipalArn"},
			widens:   1,
		},
		"a resource narrowed is not widening": {
			deployed: role(trustTooling, policyBase),
			built:    role(trustTooling, strings.Replace(policyBase, `stack/shop-*"`, `stack/shop-ecs-*"`, 1)),
			want:     []string{"- s DeployRole Policies/deploy (statement narrowed): Allow"},
		},
		"a resource widened by a wildcard widens": {
			deployed: role(trustTooling, policyBase),
			built:    role(trustTooling, strings.Replace(policyBase, `stack/shop-*"`, `stack/*"`, 1)),
			want:     []string{"+ s DeployRole Policies/deploy (statement widened): Allow on arn:aws:cloudformation:*:*:stack/*"},
			widens:   1,
		},
		"a removed Deny widens": {
			deployed: role(trustTooling, policyBase),
			built:    role(trustTooling, `{"Statement": [{"Sid": "Stacks", "Effect": "Allow", "Action": ["cloudformation:CreateChangeSet", "cloudformation:DescribeStacks"], "Resource": "arn:aws:cloudformation:*:*:stack/shop-*"}]}`),
			want:     []string{"+ s DeployRole Policies/deploy (deny removed): Deny ec2:TerminateInstances on *"},
			widens:   1,
		},
		"an action removed narrows": {
			deployed: role(trustTooling, policyBase),
			built:    role(trustTooling, strings.Replace(policyBase, `, "cloudformation:DescribeStacks"]`, `]`, 1)),
			want:     []string{"- s DeployRole Policies/deploy (statement narrowed): Allow"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := SecurityChanges("s", tc.deployed, tc.built)
			var lines []string
			for _, c := range got {
				lines = append(lines, c.String())
			}
			if len(lines) != len(tc.want) {
				t.Fatalf("got %d changes, want %d:\n%s", len(lines), len(tc.want), strings.Join(lines, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("change %d:\n got %s\nwant %s…", i, lines[i], w)
				}
			}
			if n := len(Widening(got)); n != tc.widens {
				t.Errorf("%d widening, want %d", n, tc.widens)
			}
		})
	}
}

func TestKeyAndBucketPoliciesAndManagedPolicies(t *testing.T) {
	var before, after any
	json.Unmarshal([]byte(`{"Resources": {
		"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"}]}}},
		"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}, "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}}}}`), &before)
	json.Unmarshal([]byte(`{"Resources": {
		"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root", "arn:aws:iam::2:root"]}, "Action": "kms:Decrypt", "Resource": "*"}]}}},
		"Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"PolicyDocument": {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}}},
		"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}, "ManagedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"]}}}}`), &after)
	got := SecurityChanges("s", before, after)
	var lines []string
	for _, c := range got {
		lines = append(lines, c.String())
	}
	want := []string{
		"+ s Key KeyPolicy (statement widened): Allow to AWS:arn:aws:iam::2:root", // kms:Decrypt is within kms:*
		"+ s Policy PolicyDocument (statement added): Allow s3:GetObject on arn:aws:s3:::b/* to *",
		"+ s R ManagedPolicyArns (managed policy added): on arn:aws:iam::aws:policy/AdministratorAccess",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
