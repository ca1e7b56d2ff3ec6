/**
 * `azureml-exec compute ...`: AZTK's cluster verbs over Azure ML compute clusters (list, show,
 * create, resize, nodes, wait, delete). Results go to stdout (a table, or the service's JSON with
 * --json); progress goes to stderr; a cluster that failed exits 1, one that is not there exits 5.
 * Credentials stay out of flags: the admin password comes from AZUREML_COMPUTE_ADMIN_PASSWORD.
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import type { AzureMLClient } from '../client/create-client';
import type { AmlComputeNodeInformation, ComputeResource } from '../spec/arm/types';
import type { LongRunningOptions } from '../workflow/v2/long-running';
import { computeSummary, type ComputeSummary } from '../workflow/compute/compute-summary';
import { CliUsageError } from './exit-codes';
import { positiveNumber, wholeNumber } from './number-flags';
import { Progress, type ProgressStream } from './progress';
import { table } from './table';

export interface ComputeCommandDeps {
  getClient(): AzureMLClient;
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  json(): boolean;
}

interface ScaleFlags {
  minNodes?: number;
  maxNodes?: number;
  idleSeconds?: number;
  wait: boolean;
}

/** The scale the flags give: --max-nodes, and --min-nodes and --idle-seconds when given. */
const scaleOfFlags = (flags: ScaleFlags) => ({
  maxNodes: flags.maxNodes!,
  ...(flags.minNodes !== undefined ? { minNodes: flags.minNodes } : {}),
  ...(flags.idleSeconds !== undefined ? { idleSecondsBeforeScaleDown: flags.idleSeconds } : {}),
});

const nodesOf = (s: ComputeSummary) => (s.maxNodes === undefined ? '' : `${s.currentNodes ?? 0} (${s.minNodes ?? 0}-${s.maxNodes})`);
const stateOf = (s: ComputeSummary) => (s.allocationState ? `${s.provisioningState}/${s.allocationState}` : s.provisioningState);

/** The lines of `compute show`: one fact a line, the service's reasons last. */
export function describeCompute(resource: ComputeResource): string {
  const s = computeSummary(resource);
  const rows: Array<[string, string | undefined]> = [
    ['Compute', s.name],
    ['Type', s.computeType],
    ['State', s.provisioningState],
    ['Allocation', s.allocationState],
    ['VM size', s.vmSize],
    ['Priority', s.vmPriority],
    ['Nodes', s.currentNodes !== undefined ? `${s.currentNodes} (${s.runningNodes ?? 0} running, ${s.idleNodes ?? 0} idle)` : undefined],
    ['Scale', s.maxNodes !== undefined ? `${s.minNodes ?? 0} to ${s.maxNodes} nodes` : undefined],
    ['Idle time', s.idleSecondsBeforeScaleDown !== undefined ? `${s.idleSecondsBeforeScaleDown} s before a node leaves` : undefined],
    ['Location', s.location],
    ['Created', s.createdOn],
  ];
  const lines = rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`);
  for (const reason of s.errors) lines.push(`${'Error:'.padEnd(12)}${[reason.code, reason.message].filter(Boolean).join(': ')}`);
  return `${lines.join('\n')}\n`;
}

/** `ssh` to a node, as AZTK's remote login settings give it: the admin user when the cluster has one. */
function loginOf(node: AmlComputeNodeInformation, user: string | undefined): string {
  const address = node.publicIpAddress ?? node.privateIpAddress;
  if (!address || node.port === undefined) return '';
  return `ssh ${user ? `${user}@` : ''}${address} -p ${node.port}`;
}

export function addComputeCommands(program: Command, deps: ComputeCommandDeps): void {
  const out = (text: string): void => void deps.stdout.write(text);
  const err = (text: string): void => void deps.stderr.write(text);
  const emit = (value: unknown): void => out(`${JSON.stringify(value)}\n`);
  /** Follows an operation with its status on stderr. */
  const following = (progress: Progress, name: string, verb: string): LongRunningOptions => ({
    signal: deps.signal,
    onStatus: (status) => progress.status(`Compute ${name}: ${verb} ${status}`),
  });
  const report = (resource: ComputeResource, verb: string) => {
    if (deps.json()) return emit(resource);
    const s = computeSummary(resource);
    out(`${s.name}\n`);
    err(`Compute ${s.name} ${verb}: ${stateOf(s)}${s.maxNodes !== undefined ? `, ${nodesOf(s)} nodes` : ''}\n`);
  };

  const compute = program.command('compute').description("manage compute clusters (AmlCompute) of the workspace: AZTK's cluster verbs (uses the v2 API whatever --api says)");

  compute
    .command('list')
    .description('the computes of the workspace (AZTK: list_clusters)')
    .action(async () => {
      const computes = await deps.getClient().listComputes({}, { signal: deps.signal });
      if (deps.json()) return emit(computes);
      if (!computes.length) return void err('No computes\n');
      const rows = computes
        .map(computeSummary)
        .map((s) => [s.name, s.computeType, stateOf(s), s.vmSize ?? '', nodesOf(s), s.runningNodes !== undefined ? String(s.runningNodes) : '']);
      out(table([['NAME', 'TYPE', 'STATE', 'VM SIZE', 'NODES (MIN-MAX)', 'RUNNING'], ...rows]));
    });

  compute
    .command('show')
    .description("a compute's state, size, scale and nodes, with the service's errors (AZTK: get_cluster)")
    .argument('<name>')
    .action(async (name: string) => {
      const resource = await deps.getClient().getCompute(name, { signal: deps.signal });
      if (deps.json()) return emit(resource);
      out(describeCompute(resource));
    });

  compute
    .command('create')
    .description('create an AmlCompute cluster and wait until it is provisioned (AZTK: create_cluster)')
    .argument('<name>')
    .requiredOption('--vm-size <size>', 'the size of each node, e.g. STANDARD_DS3_V2')
    .requiredOption('--max-nodes <n>', 'the most nodes the cluster grows to', wholeNumber(0))
    .option('--min-nodes <n>', 'nodes kept even when idle (default 0)', wholeNumber(0))
    .option('--idle-seconds <n>', 'how long a node stays idle before it leaves (default: the service, 120)', wholeNumber(0))
    .option('--low-priority', 'low-priority nodes (cheaper, may be preempted)')
    .option('--admin-user <name>', 'the admin user made on each node (password from AZUREML_COMPUTE_ADMIN_PASSWORD, or --ssh-key-file)')
    .option('--ssh-key-file <file>', "the admin user's SSH public key, e.g. ~/.ssh/id_rsa.pub")
    .option('--location <region>', "the Azure region (default: the workspace's)")
    .option('--description <text>', 'a description of the cluster')
    .option('--no-wait', 'return once the service has accepted the creation')
    .action(
      async (name: string, flags: ScaleFlags & { vmSize: string; lowPriority?: boolean; adminUser?: string; sshKeyFile?: string; location?: string; description?: string }) => {
        let sshPublicKey: string | undefined;
        if (flags.sshKeyFile) {
          try {
            sshPublicKey = fs.readFileSync(flags.sshKeyFile, 'utf8').trim();
          } catch (error) {
            throw new CliUsageError(`--ssh-key-file ${flags.sshKeyFile}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
          }
          if (/PRIVATE KEY/.test(sshPublicKey)) throw new CliUsageError(`--ssh-key-file ${flags.sshKeyFile} is a private key: give the public one (.pub)`);
        }
        const password = deps.env.AZUREML_COMPUTE_ADMIN_PASSWORD || undefined;
        const progress = new Progress(deps.stderr);
        const resource = await deps.getClient().createCompute(
          name,
          {
            vmSize: flags.vmSize,
            ...scaleOfFlags(flags),
            ...(flags.lowPriority ? { vmPriority: 'LowPriority' as const } : {}),
            ...(flags.adminUser ? { adminUserName: flags.adminUser } : {}),
            ...(sshPublicKey ? { sshPublicKey } : {}),
            ...(password ? { adminUserPassword: password } : {}),
            ...(flags.location ? { location: flags.location } : {}),
            ...(flags.description ? { description: flags.description } : {}),
          },
          { ...following(progress, name, 'creation'), wait: flags.wait },
        );
        progress.done();
        report(resource, flags.wait ? 'created' : 'accepted');
      },
    );

  compute
    .command('resize')
    .description("change a cluster's node counts and idle time; nodes come and go to match")
    .argument('<name>')
    .requiredOption('--max-nodes <n>', 'the most nodes the cluster grows to', wholeNumber(0))
    .option('--min-nodes <n>', 'nodes kept even when idle (default 0)', wholeNumber(0))
    .option('--idle-seconds <n>', 'how long a node stays idle before it leaves', wholeNumber(0))
    .option('--no-wait', 'return once the service has accepted the change')
    .action(async (name: string, flags: ScaleFlags) => {
      const progress = new Progress(deps.stderr);
      const resource = await deps.getClient().resizeCompute(name, scaleOfFlags(flags), { ...following(progress, name, 'resize'), wait: flags.wait });
      progress.done();
      report(resource, flags.wait ? 'resized' : 'resizing');
    });

  compute
    .command('nodes')
    .description("a cluster's nodes: state, run, and how to log in (AZTK: get_remote_login_settings)")
    .argument('<name>')
    .action(async (name: string) => {
      const client = deps.getClient();
      const [nodes, resource] = await Promise.all([client.listNodes(name, { signal: deps.signal }), client.getCompute(name, { signal: deps.signal })]);
      if (deps.json()) return emit(nodes);
      if (!nodes.length) return void err(`Compute ${name} has no nodes now\n`);
      const props = resource.properties;
      const user = props?.computeType === 'AmlCompute' ? (props.properties?.userAccountCredentials?.adminUserName ?? undefined) : undefined;
      const rows = nodes.map((n) => [String(n.nodeId ?? ''), String(n.nodeState ?? ''), n.runId ?? '', loginOf(n, user)]);
      out(table([['NODE', 'STATE', 'RUN', 'LOGIN'], ...rows]));
    });

  compute
    .command('wait')
    .description('wait until a compute is provisioned and its allocation steady (AZTK: wait_until_cluster_is_ready); exits 1 if it failed')
    .argument('<name>')
    .option('--poll <seconds>', 'wait between checks (default 5)', positiveNumber)
    .option('--timeout <seconds>', 'stop waiting after this long (exit 4; the compute goes on)', positiveNumber)
    .action(async (name: string, flags: { poll?: number; timeout?: number }) => {
      const progress = new Progress(deps.stderr);
      try {
        const resource = await deps.getClient().waitForCompute(name, {
          signal: deps.signal,
          pollIntervalMs: (flags.poll ?? 5) * 1000,
          ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout * 1000 } : {}),
          onStatus: (s) => progress.status(`Compute ${s.name}: ${stateOf(s)}${s.maxNodes !== undefined ? `, ${nodesOf(s)} nodes` : ''}`),
        });
        progress.done();
        report(resource, 'is ready');
      } finally {
        progress.done();
      }
    });

  compute
    .command('delete')
    .description('delete a compute (or detach it) and wait until it is gone (AZTK: delete_cluster); its runs end Failed')
    .argument('<name>')
    .option('--detach', 'detach it from the workspace instead of deleting it')
    .option('--no-wait', 'return once the service has accepted the delete')
    .action(async (name: string, flags: { detach?: boolean; wait: boolean }) => {
      const progress = new Progress(deps.stderr);
      const deleted = await deps.getClient().deleteCompute(name, { ...following(progress, name, flags.detach ? 'detach' : 'delete'), detach: flags.detach, wait: flags.wait });
      progress.done();
      if (deps.json()) return emit({ ...deleted, done: flags.wait });
      err(`Compute ${name} ${flags.detach ? 'detached' : 'deleted'}${flags.wait ? '' : ' (accepted; going on)'}\n`);
    });
}
