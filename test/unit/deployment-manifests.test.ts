import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildKustomization,
  podContainers,
  readManifests,
  validateObject,
} from '../../deployment/validate-kubernetes.js';

const K8S = 'deployment/kubernetes';
/** Every setting src/config.ts reads: manifests and env files may name no other. */
const CONFIG_NAMES = new Set(
  [...readFileSync('src/config.ts', 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!),
);
/** Every page a mail links to or a user opens (src/pages/pages.routes.ts). */
const HOSTED_PAGES = [
  '/',
  '/sign-in',
  '/sign-up',
  '/account',
  '/verify-email',
  '/reset-password',
  '/magic-link',
];
const PRODUCTION_REQUIRED = ['NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'APP_URL', 'AUTH_SECRET'];

const build = buildKustomization(K8S);
const find = (kind: string, name = 'plinto') =>
  build.objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
/** The pod template's spec, loosely typed for assertions. */
const pod = (object: any): any => object.spec.template.spec;
const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Kubernetes manifests', () => {
  it('build from the kustomization and validate against the Kubernetes schemas', () => {
    expect(CONFIG_NAMES.size).toBeGreaterThan(30);
    expect(build.problems).toEqual([]);
    expect(build.objects.map((o) => o.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Ingress',
        'Job',
        'Namespace',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    for (const object of build.objects) {
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, object.kind).toBe('plinto');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], object.kind).toBe('plinto');
    }
    // Only the Secret template stays out of the kustomization, and it is valid too.
    expect(build.unlisted).toEqual(['secret.template.yaml']);
    const [secret] = readManifests(join(K8S, 'secret.template.yaml'), []);
    expect(validateObject(secret!)).toEqual([]);
  });

  it('the validator catches wrong types, unknown fields and missing files', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x', lables: { a: 'b' } },
      spec: { ports: [{ port: 80, targetPorty: 'http' }] },
    };
    expect(validateObject(service)).toEqual([
      'Service/x: unknown field metadata.lables',
      'Service/x: unknown field spec.ports[0].targetPorty',
    ]);
    const hpa = { ...find('HorizontalPodAutoscaler'), spec: { ...find('HorizontalPodAutoscaler').spec } };
    hpa.spec.minReplicas = '3';
    expect(validateObject(hpa).join()).toMatch(/minReplicas must be integer/);
    expect(validateObject({ apiVersion: 'v9', kind: 'Nope', metadata: { name: 'n' } })).toHaveLength(1);
  });

  it('runs the built image: the app, and the migration Job with node on the compiled output', () => {
    for (const object of [find('Deployment'), find('Job', 'plinto-migrate')]) {
      for (const container of podContainers(object))
        expect(container.image).toBe('ghcr.io/example/plinto:0.1.0');
    }
    const [app] = podContainers(find('Deployment')) as any[];
    const [migrate] = podContainers(find('Job', 'plinto-migrate')) as any[];
    expect(app.command).toEqual([
      'node',
      '--max-old-space-size=192',
      '--max-semi-space-size=8',
      'dist/src/main.js',
    ]);
    expect(migrate.command).toEqual(['node', 'dist/src/cli/migrate.js']);
    // The compiled paths exist because their sources do (tsconfig.build.json: src -> dist/src).
    expect(existsSync('src/main.ts') && existsSync('src/cli/migrate.ts')).toBe(true);
  });

  it('runs 3 hardened replicas with probes, drain delay, resources and spread', () => {
    const deployment = find('Deployment');
    expect(deployment.spec.replicas).toBe(3);
    const template = pod(deployment);
    const [container] = template.containers;
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(container.startupProbe.httpGet.path).toBe('/health');
    expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    expect(container.resources.requests.cpu).toBeDefined();
    expect(container.resources.limits.memory).toBeDefined();
    const config = find('ConfigMap', 'plinto-config').data;
    // preStop + the app's own shutdown budget fit in the grace period.
    expect(template.terminationGracePeriodSeconds).toBeGreaterThan(
      10 + Number(config.SHUTDOWN_TIMEOUT_SECONDS),
    );
    for (const object of [deployment, find('Job', 'plinto-migrate')]) {
      const spec = pod(object);
      expect(spec.securityContext.runAsNonRoot).toBe(true);
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(spec.securityContext.seccompProfile.type).toBe('RuntimeDefault');
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        // The only writable path is /tmp.
        expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toEqual(['/tmp']);
      }
    }
    expect(template.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    const podLabels = deployment.spec.template.metadata.labels;
    expect(labelsMatch(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    for (const t of template.topologySpreadConstraints)
      expect(labelsMatch(t.labelSelector.matchLabels, podLabels)).toBe(true);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations['prometheus.io/scrape']).toBe('true');
    // Prometheus scrapes the metrics listener (METRICS_PORT), never the public port.
    const metricsPort = container.ports.find((p: any) => p.name === 'metrics').containerPort;
    expect(Number(annotations['prometheus.io/port'])).toBe(metricsPort);
    expect(metricsPort).not.toBe(container.ports[0].containerPort);
    expect(Number(find('ConfigMap', 'plinto-config').data.METRICS_PORT)).toBe(metricsPort);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
  });

  it('wires Service, HPA, PDB, NetworkPolicy and Ingress to the same pods and ports', () => {
    const deployment = find('Deployment');
    const podLabels = deployment.spec.template.metadata.labels;
    const migrationLabels = find('Job', 'plinto-migrate').spec.template.metadata.labels;
    const service = find('Service');
    expect(labelsMatch(service.spec.selector, podLabels)).toBe(true);
    expect(labelsMatch(service.spec.selector, migrationLabels)).toBe(false);
    expect(service.spec.ports[0].targetPort).toBe(pod(deployment).containers[0].ports[0].name);
    const pdb = find('PodDisruptionBudget');
    expect(labelsMatch(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    const hpa = find('HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'plinto' });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');

    const policy = find('NetworkPolicy');
    expect(labelsMatch(policy.spec.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const sources = policy.spec.ingress.map(
      (rule: any) => rule.from[0].podSelector.matchLabels['app.kubernetes.io/name'],
    );
    expect(sources).toEqual(['ingress-nginx', 'prometheus']);
    const egressPorts = policy.spec.egress.flatMap((rule: any) => rule.ports.map((p: any) => p.port));
    for (const port of [53, 5432, 6379, 587]) expect(egressPorts).toContain(port);

    const ingress = find('Ingress');
    expect(ingress.metadata.annotations['cert-manager.io/cluster-issuer']).toBeTruthy();
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/limit-rps']).toBeTruthy();
    expect(ingress.spec.tls[0].secretName).toBeTruthy();
    const paths = ingress.spec.rules[0].http.paths;
    expect(paths.map((p: any) => p.path)).not.toContain('/metrics');
    for (const p of paths) {
      expect(p.backend.service.name).toBe(service.metadata.name);
      expect(p.backend.service.port.name).toBe(service.spec.ports[0].name);
    }
  });

  it('routes the hosted pages and their assets through the Ingress, never /metrics or /ready', () => {
    const paths = find('Ingress').spec.rules[0].http.paths.map((p: any) => `${p.pathType} ${p.path}`);
    for (const page of HOSTED_PAGES) expect(paths).toContain(`Exact ${page}`);
    expect(paths).toContain('Prefix /assets');
    // Social sign-in (issue 20): the providers' callback.
    expect(paths).toContain('Prefix /oauth/callback');
    expect(paths.filter((p: string) => /metrics|ready/.test(p))).toEqual([]);
  });

  it('configures the app with names src/config.ts knows, secrets from the Secret', () => {
    const deployment = find('Deployment');
    const [container] = podContainers(deployment) as any[];
    const [secret] = readManifests(join(K8S, 'secret.template.yaml'), []) as any[];
    expect(container.envFrom).toEqual([
      { configMapRef: { name: 'plinto-config' } },
      { secretRef: { name: secret.metadata.name } },
    ]);
    expect(pod(deployment).serviceAccountName).toBe(find('ServiceAccount').metadata.name);
    const config = find('ConfigMap', 'plinto-config').data;
    const keys = [...Object.keys(config), ...Object.keys(secret.stringData)];
    expect(keys.filter((k) => !CONFIG_NAMES.has(k))).toEqual([]);
    for (const name of PRODUCTION_REQUIRED) expect(keys).toContain(name);
    expect(config.NODE_ENV).toBe('production');
    expect(config.TRUST_PROXY).toBe('1');
    // Secrets are never in the ConfigMap.
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL', 'AUTH_SECRET'])
      expect(config).not.toHaveProperty(name);
  });
});

describe('Compose files', () => {
  const dev = parse(readFileSync('deployment/docker-compose.yml', 'utf8'));
  const prodFile = 'deployment/production/docker-compose.production.yml';
  const prod = parse(readFileSync(prodFile, 'utf8'), { merge: true });

  it('development runs PostgreSQL, Redis, a mail catcher and the app', () => {
    expect(Object.keys(dev.services).sort()).toEqual(['app', 'mailpit', 'migrate', 'postgres', 'redis']);
    expect(dev.services.app.environment.SMTP_URL).toBe('smtp://mailpit:1025');
    expect(dev.services.migrate.command).toEqual(['node', 'dist/src/cli/migrate.js']);
    for (const key of Object.keys(dev.services.app.environment)) expect(CONFIG_NAMES).toContain(key);
  });

  it('production runs app, PostgreSQL, Redis, nginx, Prometheus and Grafana, each hardened', () => {
    const services = prod.services as Record<string, any>;
    expect(Object.keys(services).sort()).toEqual(
      ['app', 'grafana', 'migrate', 'nginx', 'postgres', 'prometheus', 'redis'].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'migrate') expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.logging?.options?.['max-size'], name).toBeDefined();
      expect(service.deploy?.resources?.limits?.memory, name).toBeDefined();
      expect(service.networks, name).toContain('backend');
    }
    expect(prod.networks.backend.internal).toBe(true);
    expect(services.app.read_only).toBe(true);
    expect(services.app.tmpfs).toEqual(['/tmp']);
    expect(services.app.environment).toEqual({
      METRICS_PORT: '9464',
      NODE_ENV: 'production',
      TRUST_PROXY: '1',
    });
    expect(services.app.ports).toBeUndefined();
    for (const name of ['postgres-data', 'redis-data', 'prometheus-data', 'grafana-data'])
      expect(prod.volumes).toHaveProperty(name);
  });

  it('takes secrets from env files that are git-ignored, with committed examples', () => {
    const dir = dirname(prodFile);
    const envFiles = Object.values(prod.services as Record<string, any>).flatMap((s) => s.env_file ?? []);
    expect(new Set(envFiles)).toEqual(new Set(['app.env', 'postgres.env', 'redis.env', 'grafana.env']));
    const ignore = readFileSync(join(dir, '.gitignore'), 'utf8');
    expect(ignore).toMatch(/^\*\.env$/m);
    for (const file of envFiles) expect(existsSync(join(dir, `${file}.example`)), file).toBe(true);
    const appKeys = readFileSync(join(dir, 'app.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z]/.test(l))
      .map((l) => l.split('=')[0]!);
    expect(appKeys.filter((k) => !CONFIG_NAMES.has(k))).toEqual([]);
    for (const name of PRODUCTION_REQUIRED.filter((n) => n !== 'NODE_ENV')) expect(appKeys).toContain(name);
  });

  it('mounts files that exist in the repository', () => {
    const dir = dirname(prodFile);
    const mounts = Object.values(prod.services as Record<string, any>)
      .flatMap((s) => s.volumes ?? [])
      .map((v: string) => v.split(':')[0]!)
      .filter((source: string) => source.startsWith('../'));
    expect(mounts.length).toBeGreaterThanOrEqual(5);
    for (const source of mounts) expect(existsSync(resolve(dir, source)), source).toBe(true);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('deployment/Dockerfile', 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('builds in one stage and runs a slim, non-root, dev-free runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm run build/);
    expect(runtime).toMatch(/RUN npm ci --omit=dev/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist\/src \.\/dist\/src/);
    expect(runtime).toMatch(/^USER [1-9]\d*:[1-9]\d*$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node", "-e"/m);
    expect(runtime).toMatch(
      /^CMD \["node", "--max-old-space-size=192", "--max-semi-space-size=8", "dist\/src\/main\.js"\]$/m,
    );
    const instructions = dockerfile.replace(/^#.*$/gm, '');
    expect(instructions).not.toMatch(/curl|tsx/);
  });

  it('needs no dev dependency at run time: everything src/ imports is a production dependency', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const imported = new Set<string>();
    for (const file of files) {
      const source = readFileSync(join('src', file), 'utf8');
      for (const [, spec] of source.matchAll(/^import (?!type )[^;]*?from '([^'.][^']*)'/gm)) {
        if (spec!.startsWith('node:')) continue;
        imported.add(spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      }
    }
    expect(imported.size).toBeGreaterThan(10);
    expect([...imported].filter((name) => !pkg.dependencies[name])).toEqual([]);
  });
});

describe('nginx TLS configuration', () => {
  const conf = readFileSync('deployment/nginx/nginx-ssl.conf', 'utf8');

  it('allows TLS 1.2/1.3 only, staples OCSP and redirects HTTP', () => {
    expect(conf).toMatch(/ssl_protocols TLSv1\.2 TLSv1\.3;/);
    expect(conf).toMatch(/ssl_stapling on;/);
    expect(conf).toMatch(/return 301 https:\/\/\$host\$request_uri;/);
    expect(conf).not.toMatch(/ssl_ciphers [^;]*(RC4|3DES|CBC|MD5)/);
  });

  it('routes the hosted pages and assets, and logs no query string', () => {
    for (const page of HOSTED_PAGES) expect(conf).toContain(`location = ${page} {`);
    expect(conf).toMatch(/location \^~ \/assets\/ \{\s*proxy_pass http:\/\/plinto;/);
    // Social sign-in (issue 20): the providers' callback (its code and state ride in the query).
    expect(conf).toMatch(/location \^~ \/oauth\/callback\/ \{\s*proxy_pass http:\/\/plinto;/);
    const logFormat = /log_format plinto ([^;]+);/.exec(conf)?.[1] ?? '';
    expect(logFormat).toContain('$uri');
    // Each of these carries the query string (an email link's ?token=, a redirect parameter).
    expect(logFormat).not.toMatch(/\$request\b|\$request_uri|\$args|\$query_string|\$arg_|\$http_referer/);
    // A legacy ?token= link is moved into the fragment at the edge, before any upstream sees it.
    for (const page of ['/verify-email', '/reset-password', '/magic-link']) {
      expect(conf).toContain(`return 302 ${page}#token=$arg_token;`);
    }
  });

  it('leaves HSTS to the app, its one source: nginx adds no Strict-Transport-Security of its own', () => {
    // Two sources sent two max-ages; the app's (two years, subdomains, preload) reaches every
    // deployment, behind nginx, an ingress or none.
    expect(conf).not.toMatch(/Strict-Transport-Security/i);
    expect(conf).not.toMatch(/proxy_hide_header\s+Strict-Transport-Security/i);
    const ingress = readFileSync('deployment/kubernetes/ingress.yaml', 'utf8');
    expect(ingress).toMatch(/hsts: "false"/);
  });

  it('overwrites X-Forwarded-For, the one hop TRUST_PROXY=1 believes, and hides /metrics', () => {
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(conf).not.toMatch(/\$proxy_add_x_forwarded_for/);
    expect(conf).not.toMatch(/location [=^~ ]*\/metrics/);
    expect(conf).toMatch(/location \/ \{\s*return 404;/);
  });
});
