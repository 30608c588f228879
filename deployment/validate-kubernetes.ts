import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { parseAllDocuments } from 'yaml';

/**
 * Offline validation of a kustomize directory: builds it the way `kubectl apply -k` would for
 * the features used here (resources, namespace, labels, images), then validates every object
 * against the Kubernetes OpenAPI schemas shipped by kubernetes-models, rejecting unknown fields
 * too (the schemas alone accept any extra key, so a typo such as `targetPorty` would pass).
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface KustomizeBuild {
  objects: KubeObject[];
  /** Files in the directory that the kustomization does not list (templates are expected here). */
  unlisted: string[];
  problems: string[];
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

const CLUSTER_SCOPED = new Set(['Namespace']);
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'images']);

/** Parses every YAML document of a file; YAML errors become problems. */
export function readManifests(file: string, problems: string[]): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    if (doc.errors.length) {
      problems.push(`${basename(file)}: ${doc.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const value = doc.toJS() as KubeObject | null;
    if (value) objects.push(value);
  }
  return objects;
}

/** Validates one object against its schema; returns the problems (empty when valid). */
export function validateObject(object: KubeObject, where = ''): string[] {
  const label = `${where}${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;
  const Model = MODELS[`${object?.apiVersion}/${object?.kind}`];
  if (!Model) return [`${label}: no schema known for ${object?.apiVersion} ${object?.kind}`];
  const problems: string[] = [];
  if (!object.metadata?.name) problems.push(`${label}: metadata.name is missing`);
  const model = new Model(object as never);
  const tracker = new AccessTracker();
  try {
    // The validator reads every property its schema defines; whatever it never reads is unknown.
    model.validate.call(tracker.wrap(model));
  } catch (error) {
    problems.push(`${label}: ${(error as Error).message}`);
    return problems;
  }
  for (const path of tracker.unknownPaths(model)) problems.push(`${label}: unknown field ${path}`);
  return problems;
}

class AccessTracker {
  private readonly read = new WeakMap<object, Set<PropertyKey>>();
  private readonly enumerated = new WeakSet<object>();
  private readonly proxies = new WeakMap<object, object>();

  wrap<T>(value: T): T {
    if (value === null || typeof value !== 'object') return value;
    const target = value as unknown as object;
    const existing = this.proxies.get(target);
    if (existing) return existing as T;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const tracker = this;
    const proxy = new Proxy(target, {
      get(obj, key, receiver) {
        if (!tracker.read.has(obj)) tracker.read.set(obj, new Set());
        tracker.read.get(obj)!.add(key);
        return tracker.wrap(Reflect.get(obj, key, receiver));
      },
      has(obj, key) {
        if (!tracker.read.has(obj)) tracker.read.set(obj, new Set());
        tracker.read.get(obj)!.add(key);
        return Reflect.has(obj, key);
      },
      ownKeys(obj) {
        // A map-typed object (labels, ConfigMap data): every key is allowed.
        tracker.enumerated.add(obj);
        return Reflect.ownKeys(obj);
      },
    });
    this.proxies.set(target, proxy);
    return proxy as T;
  }

  unknownPaths(value: unknown, path = ''): string[] {
    if (value === null || typeof value !== 'object') return [];
    if (Array.isArray(value)) return value.flatMap((item, i) => this.unknownPaths(item, `${path}[${i}]`));
    if (this.enumerated.has(value)) return [];
    const read = this.read.get(value);
    // An object the schema leaves open (never looked into) cannot be judged here.
    if (!read) return [];
    const unknown: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (!read.has(key)) unknown.push(childPath);
      else unknown.push(...this.unknownPaths(child, childPath));
    }
    return unknown;
  }
}

/** Builds a kustomize directory (resources, namespace, labels, images) and validates the result. */
export function buildKustomization(dir: string): KustomizeBuild {
  const problems: string[] = [];
  const kustomizationFile = join(dir, 'kustomization.yaml');
  const kustomization = readManifests(kustomizationFile, problems)[0] as unknown as {
    apiVersion?: string;
    kind?: string;
    namespace?: string;
    labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>;
    resources?: string[];
    images?: Array<{ name: string; newName?: string; newTag?: string }>;
  };
  if (
    kustomization?.apiVersion !== 'kustomize.config.k8s.io/v1beta1' ||
    kustomization.kind !== 'Kustomization'
  )
    problems.push(
      'kustomization.yaml: apiVersion/kind must be kustomize.config.k8s.io/v1beta1 Kustomization',
    );
  for (const key of Object.keys(kustomization ?? {}))
    if (!KUSTOMIZATION_KEYS.has(key)) problems.push(`kustomization.yaml: unsupported field ${key}`);
  const resources = kustomization?.resources ?? [];
  if (new Set(resources).size !== resources.length)
    problems.push('kustomization.yaml: a resource is listed twice');

  const objects: KubeObject[] = [];
  for (const resource of resources) {
    const file = join(dir, resource);
    if (!existsSync(file)) {
      problems.push(`kustomization.yaml: resource ${resource} does not exist`);
      continue;
    }
    for (const object of readManifests(file, problems)) {
      problems.push(...validateObject(object, `${resource}: `));
      objects.push(applyTransforms(object, kustomization));
    }
  }
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
    if (seen.has(id)) problems.push(`duplicate object ${id}`);
    seen.add(id);
    problems.push(...validateObject(object, 'built: '));
  }
  const unlisted = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .filter((f) => !resources.includes(f));
  return { objects, unlisted, problems };
}

function applyTransforms(
  source: KubeObject,
  kustomization: {
    namespace?: string;
    labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean }>;
    images?: Array<{ name: string; newName?: string; newTag?: string }>;
  },
): KubeObject {
  const object = structuredClone(source);
  if (kustomization.namespace) {
    if (object.kind === 'Namespace') object.metadata.name = kustomization.namespace;
    else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
  }
  for (const label of kustomization.labels ?? []) {
    object.metadata.labels = { ...object.metadata.labels, ...label.pairs };
  }
  for (const container of podContainers(object)) {
    const image = kustomization.images?.find((i) => i.name === container.image);
    if (image) container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ''}`;
  }
  return object;
}

export interface Container {
  name: string;
  image: string;
  [key: string]: unknown;
}

export interface PodSpecLike {
  containers?: Container[];
  initContainers?: Container[];
  [key: string]: unknown;
}

/** The pod template of a Deployment or Job (the kinds here that run containers). */
export function podSpec(object: KubeObject): PodSpecLike | null {
  const spec = object.spec as { template?: { spec?: PodSpecLike } } | undefined;
  return spec?.template?.spec ?? null;
}

export function podContainers(object: KubeObject): Container[] {
  const pod = podSpec(object);
  return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
}

// Run directly (deployment/validate.sh): print the problems and exit non-zero on any.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = resolve(process.argv[2] ?? 'deployment/kubernetes');
  const build = buildKustomization(dir);
  const problems = [...build.problems];
  for (const file of build.unlisted) {
    if (!file.endsWith('.template.yaml')) problems.push(`${file} is not listed in kustomization.yaml`);
    else
      for (const object of readManifests(join(dir, file), problems))
        problems.push(...validateObject(object, `${file}: `));
  }
  if (problems.length) {
    console.error(problems.map((p) => `  - ${p}`).join('\n'));
    process.exit(1);
  }
  console.log(
    `kubernetes: ${build.objects.length} objects valid (${build.objects.map((o) => o.kind).join(', ')})`,
  );
}
