// Loop on Kubernetes: the TapConfig custom resource and the controller that follows it.
export * from './kube-config.js';
export * from './start-kube-tapconfigs.js';
export * from './tapconfig-controller.js';
export * from './tapconfig-resource.js';
export * from './tapconfig-status.js';
