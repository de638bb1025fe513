export * from './kube-options.js';
export * from './kube-client.js';
export * from './plank-pod.js';
export * from './pod-choices.js';
export * from './kube-pickers.js';
export * from './plank-pod-wait.js';
export * from './pod-port-forward.js';
export * from './kube-attach.js';
