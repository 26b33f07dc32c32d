// A CDK app of the seed system (examples/seed/system.yaml), written the way
// a CDK user would write it with the L2 constructs: the yardstick that
// scripts/bench-vs-cdk.sh times `cdk synth` of, beside `cicdgen build`.
// It is plain JavaScript, so that no TypeScript compilation is timed.
'use strict';
const cdk = require('aws-cdk-lib');
const { Duration, RemovalPolicy } = cdk;
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecs = require('aws-cdk-lib/aws-ecs');
const ecr = require('aws-cdk-lib/aws-ecr');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const iam = require('aws-cdk-lib/aws-iam');
const kms = require('aws-cdk-lib/aws-kms');
const logs = require('aws-cdk-lib/aws-logs');
const s3 = require('aws-cdk-lib/aws-s3');
const sns = require('aws-cdk-lib/aws-sns');
const subs = require('aws-cdk-lib/aws-sns-subscriptions');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const codebuild = require('aws-cdk-lib/aws-codebuild');
const codepipeline = require('aws-cdk-lib/aws-codepipeline');
const actions = require('aws-cdk-lib/aws-codepipeline-actions');
const cloudwatch = require('aws-cdk-lib/aws-cloudwatch');
const events = require('aws-cdk-lib/aws-events');
const targets = require('aws-cdk-lib/aws-events-targets');

const system = {
  name: 'shop', suffix: 'dev', region: 'us-east-1',
  tags: { team: 'platform', 'cost-center': '4711' },
  tooling: '123456789012',
  connection: 'arn:aws:codestar-connections:us-east-1:123456789012:connection/example',
  repository: { owner: 'myorg', name: 'myapp', branch: 'main' },
  service: { name: 'web', port: 8080, cpu: 256, memory: 512, desiredCount: 2, healthCheck: '/health', bakeMinutes: 5 },
  environments: [
    { name: 'dev', account: '111111111111' },
    { name: 'staging', account: '222222222222', approval: true },
    { name: 'prod', account: '333333333333', approval: true, protect: true, service: { desiredCount: 4, cpu: 512, memory: 1024 } },
  ],
};
const id = (...parts) => [system.name, ...parts, system.suffix].join('-');

class RolesStack extends cdk.Stack {
  constructor(scope, name, props) {
    super(scope, name, props);
    const tooling = new iam.AccountPrincipal(system.tooling);
    const deploy = new iam.Role(this, 'DeployRole', { roleName: id('deploy', props.envName), assumedBy: tooling });
    const exec = new iam.Role(this, 'ExecutionRole', {
      roleName: id('cfn-exec', props.envName),
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess')],
    });
    exec.addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ec2:TerminateInstances'], resources: ['*'] }));
    deploy.addToPolicy(new iam.PolicyStatement({ actions: ['cloudformation:*'], resources: ['*'] }));
    deploy.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [exec.roleArn] }));
  }
}

class SecretsStack extends cdk.Stack {
  constructor(scope, name, props) {
    super(scope, name, props);
    new secretsmanager.Secret(this, 'RegistryCredentials', { secretName: id('registry', props.envName) });
  }
}

class EcsStack extends cdk.Stack {
  constructor(scope, name, props) {
    super(scope, name, props);
    const svc = { ...system.service, ...(props.service || {}) };
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'), availabilityZones: [`${system.region}a`, `${system.region}b`], natGateways: 2,
      flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.ALL } },
    });
    const key = new kms.Key(this, 'LogKey', { enableKeyRotation: true });
    key.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${system.region}.amazonaws.com`));
    const logGroup = new logs.LogGroup(this, 'Logs', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const task = new ecs.FargateTaskDefinition(this, 'Task', { cpu: svc.cpu, memoryLimitMiB: svc.memory });
    const secret = secretsmanager.Secret.fromSecretNameV2(this, 'Registry', id('registry', props.envName));
    task.addContainer('app', {
      image: ecs.ContainerImage.fromRegistry(`${system.tooling}.dkr.ecr.${system.region}.amazonaws.com/${id(svc.name)}:latest`, { credentials: secret }),
      portMappings: [{ containerPort: svc.port }],
      environment: { LOG_LEVEL: 'info' },
      memoryLimitMiB: svc.memory,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: svc.name, logGroup }),
    });
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', { vpc, internetFacing: true });
    const blue = new elbv2.ApplicationTargetGroup(this, 'Blue', { vpc, port: svc.port, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP, healthCheck: { path: svc.healthCheck } });
    const green = new elbv2.ApplicationTargetGroup(this, 'Green', { vpc, port: svc.port, protocol: elbv2.ApplicationProtocol.HTTP, targetType: elbv2.TargetType.IP, healthCheck: { path: svc.healthCheck } });
    const prod = alb.addListener('Production', { port: 80, defaultAction: elbv2.ListenerAction.forward([blue]) });
    const test = alb.addListener('Test', { port: 8080, open: false, defaultAction: elbv2.ListenerAction.forward([blue]) });
    test.connections.allowFrom(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(8080));
    new elbv2.ApplicationListenerRule(this, 'ProductionRule', { listener: prod, priority: 1, conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])], action: elbv2.ListenerAction.forward([blue]) });
    new elbv2.ApplicationListenerRule(this, 'TestRule', { listener: test, priority: 1, conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])], action: elbv2.ListenerAction.forward([green]) });
    const service = new ecs.FargateService(this, 'Service', {
      cluster, taskDefinition: task, desiredCount: svc.desiredCount, minHealthyPercent: 100, circuitBreaker: { rollback: true },
      deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN, bakeTime: Duration.minutes(svc.bakeMinutes),
    });
    service.attachToApplicationTargetGroup(blue);
    if (props.protect) {
      this.terminationProtection = true;
    }
  }
}

class PipelineStack extends cdk.Stack {
  constructor(scope, name, props) {
    super(scope, name, props);
    const key = new kms.Key(this, 'ArtifactKey', { enableKeyRotation: true, alias: id('artifacts') });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, removalPolicy: RemovalPolicy.RETAIN });
    const artifacts = new s3.Bucket(this, 'Artifacts', {
      encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true, versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, serverAccessLogsBucket: accessLogs, eventBridgeEnabled: true,
      lifecycleRules: [{ expiration: Duration.days(30) }],
    });
    new ecr.Repository(this, 'ServiceRepo', { repositoryName: id(system.service.name), imageScanOnPush: true });
    const buildImage = new ecr.Repository(this, 'BuildImageRepo', { repositoryName: id('build-image'), imageScanOnPush: true });
    const topicKey = new kms.Key(this, 'TopicKey', { enableKeyRotation: true });
    const approvals = new sns.Topic(this, 'Approvals', { masterKey: topicKey });
    approvals.addSubscription(new subs.EmailSubscription('release@example.com'));
    const failures = new sns.Topic(this, 'Failures', { masterKey: topicKey });
    failures.addSubscription(new subs.EmailSubscription('oncall@example.com'));
    const buildLogs = new logs.LogGroup(this, 'BuildLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const build = new codebuild.PipelineProject(this, 'Build', {
      environment: { buildImage: codebuild.LinuxBuildImage.fromEcrRepository(buildImage), computeType: codebuild.ComputeType.SMALL, privileged: true },
      buildSpec: codebuild.BuildSpec.fromSourceFilename('buildspec.yml'), timeout: Duration.minutes(60),
      encryptionKey: key, logging: { cloudWatch: { logGroup: buildLogs } },
    });
    const testProject = new codebuild.PipelineProject(this, 'Test', {
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL },
      buildSpec: codebuild.BuildSpec.fromSourceFilename('buildspec-test.yml'), encryptionKey: key,
    });
    const source = new codepipeline.Artifact('Source');
    const built = new codepipeline.Artifact('Built');
    const pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineName: id('pipeline'), artifactBucket: artifacts, pipelineType: codepipeline.PipelineType.V2, restartExecutionOnUpdate: true,
    });
    pipeline.addStage({ stageName: 'Source', actions: [new actions.CodeStarConnectionsSourceAction({
      actionName: 'Source', connectionArn: system.connection, owner: system.repository.owner, repo: system.repository.name,
      branch: system.repository.branch, output: source, triggerOnPush: true })] });
    pipeline.addStage({ stageName: 'Build', actions: [new actions.CodeBuildAction({ actionName: 'Build', project: build, input: source, outputs: [built] })] });
    pipeline.addStage({ stageName: 'Test', actions: [new actions.CodeBuildAction({ actionName: 'Test', project: testProject, input: source })] });
    for (const env of system.environments) {
      const deployRole = iam.Role.fromRoleArn(this, `DeployRole-${env.name}`, `arn:aws:iam::${env.account}:role/${id('deploy', env.name)}`, { mutable: false });
      const stageActions = [];
      if (env.approval) {
        stageActions.push(new actions.ManualApprovalAction({ actionName: 'Approve', notificationTopic: approvals, runOrder: 1 }));
      }
      stageActions.push(new actions.CloudFormationCreateUpdateStackAction({
        actionName: 'Deploy', stackName: id('ecs', env.name), templatePath: built.atPath(`${id('ecs', env.name)}.json`),
        adminPermissions: false, role: deployRole, deploymentRole: iam.Role.fromRoleArn(this, `ExecRole-${env.name}`, `arn:aws:iam::${env.account}:role/${id('cfn-exec', env.name)}`, { mutable: false }),
        account: env.account, runOrder: 2,
      }));
      pipeline.addStage({ stageName: `Deploy-${env.name}`, actions: stageActions });
    }
    pipeline.notifyOnExecutionStateChange('Failures', failures);
    this.pipeline = pipeline;
  }
}

class MonitoringStack extends cdk.Stack {
  constructor(scope, name, props) {
    super(scope, name, props);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: id('dashboard') });
    dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Pipeline executions', left: [new cloudwatch.Metric({ namespace: 'AWS/CodePipeline', metricName: 'PipelineExecutionFailed', dimensionsMap: { PipelineName: id('pipeline') } })] }));
    new events.Rule(this, 'Failed', {
      eventPattern: { source: ['aws.codepipeline'], detailType: ['CodePipeline Pipeline Execution State Change'], detail: { state: ['FAILED'], pipeline: [id('pipeline')] } },
      targets: [new targets.SnsTopic(sns.Topic.fromTopicArn(this, 'FailuresTopic', `arn:aws:sns:${system.region}:${system.tooling}:${id('failures')}`))],
    });
  }
}

const app = new cdk.App();
for (const [k, v] of Object.entries(system.tags)) {
  cdk.Tags.of(app).add(k, v);
}
const tooling = { account: system.tooling, region: system.region };
for (const env of system.environments) {
  const where = { account: env.account, region: system.region };
  new RolesStack(app, id('roles', env.name), { env: where, envName: env.name });
  new SecretsStack(app, id('secrets', env.name), { env: where, envName: env.name });
  new EcsStack(app, id('ecs', env.name), { env: where, envName: env.name, service: env.service, protect: env.protect });
}
new PipelineStack(app, id('pipeline'), { env: tooling });
new MonitoringStack(app, id('monitoring'), { env: tooling });
app.synth();
