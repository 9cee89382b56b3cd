export { loadMnistDigits, mnistDigitFiles, type LoadMnistDigitsOptions } from './load-mnist-digits.js';
export { MNIST_IMAGE_SIZE, mnistDigitsFromArrays, type MnistDigits, type MnistDigitsOptions } from '../mnist-digits.js';
