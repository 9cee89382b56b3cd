export { PCA, type PCAOptions } from './pca.js';
