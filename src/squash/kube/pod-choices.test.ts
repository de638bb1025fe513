// What the Kubernetes pickers offer: hidden namespaces, Running pods filtered by what is typed, the
// containers, and the debugger guessed from a container's image and command.
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerChoices, detectDebugger, kubeDebuggerChoices, namespaceChoices, podChoices } from './pod-choices.js';

const ns = (...names: string[]) => names.map((name) => ({ metadata: { name } }));
const pod = (name: string, phase: string, containers = ['app'], node = 'node-a'): V1Pod => ({
  metadata: { name },
  spec: { nodeName: node, containers: containers.map((c) => ({ name: c, image: `${c}:1` })) },
  status: { phase },
});

describe('namespaceChoices', () => {
  const all = ns('default', 'kube-system', 'kube-public', 'kube-node-lease', 'squash-debugger', 'shop');
  it('hides the system namespaces and squash-debugger', () => expect(namespaceChoices(all, false)).toEqual(['default', 'shop']));
  it('shows them with --all-namespaces', () => expect(namespaceChoices(all, true)).toHaveLength(6));
});

describe('podChoices', () => {
  const pods = [pod('web-1', 'Running', ['web', 'envoy']), pod('payment-blue', 'Running', ['payment'], 'node-b'), pod('batch-1', 'Succeeded'), pod('web-2', 'Pending')];
  it.each([
    ['', ['web-1', 'payment-blue']],
    ['web', ['web-1']],
    ['PAY blue', ['payment-blue']],
    ['node-b', ['payment-blue']],
    ['envoy', ['web-1']],
    ['batch', []],
  ])('typing %j offers %j (Running only)', (term, names) => expect(podChoices(pods, term).map((c) => c.value)).toEqual(names));
});

describe('containerChoices', () => {
  it('shows each container with its image', () => expect(containerChoices(pod('p', 'Running', ['web', 'envoy'])).map((c) => c.name)).toEqual(['web  (web:1)', 'envoy  (envoy:1)']));
});

describe('detectDebugger', () => {
  it.each([
    [{ image: 'golang:1.22' }, 'dlv'],
    [{ image: 'registry.example:5000/team/go:latest' }, 'dlv'],
    [{ image: 'docker.io/library/node:20-alpine' }, 'nodejs'],
    [{ image: 'python:3.12-slim' }, 'python'],
    [{ image: 'eclipse-temurin:17-jre' }, 'java'],
    [{ image: 'openjdk@sha256:abcd' }, 'java'],
    [{ image: 'registry.example/payment:v2', command: ['/usr/bin/java', '-jar', 'app.jar'] }, 'java'],
    [{ image: 'registry.example/web:v2', command: ['node'], args: ['server.js'] }, 'nodejs'],
    [{ image: 'registry.example/api:v2', args: ['python3', 'app.py'] }, 'python'],
    [{ image: 'registry.example/gateway:v2', command: ['/gateway'] }, 'gdb'],
    [{ image: 'nginx:1.27' }, 'gdb'],
    [{ image: 'mongo:7' }, 'gdb'], // "go" is a word, not a substring
  ])('%j → %s', (container, expected) => expect(detectDebugger(container)).toBe(expected));
});

describe('kubeDebuggerChoices', () => {
  it('puts the detected one first, marked', () => {
    expect(kubeDebuggerChoices('python', ['dlv', 'gdb', 'nodejs', 'python', 'java']).map((c) => c.name)).toEqual(['python (detected from the image)', 'dlv', 'gdb', 'nodejs', 'java']);
  });
});
