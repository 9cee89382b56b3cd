export { MNIST_IMAGE_SIZE, mnistDigitsFromArrays, type MnistDigits, type MnistDigitsOptions } from './mnist-digits.js';
