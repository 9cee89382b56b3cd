export { loadMnistDigits, mnistDigitFiles, type LoadMnistDigitsOptions } from './load-mnist-digits.js';
export { MNIST_IMAGE_SIZE, mnistDigitsFromArrays, type MnistDigits, type MnistDigitsOptions } from '../mnist-digits.js';
export { loadMnist, type LoadMnistOptions } from './load-mnist.js';
export { loadCifar10, type LoadCifar10Options } from './load-cifar10.js';
export { loadTextFile, loadMobyDick, mobyDickPath } from './text-files.js';
export { MissingDataPackageError, MNIST_PACKAGE, MOBY_DICK_PACKAGE, type DataPackage } from './data-package.js';
export { decodeImage, type DecodeImageOptions, type ImageMode } from './decode-image.js';
export { ImageFolder, IMAGE_EXTENSIONS, type ImageFolderOptions } from './image-folder.js';
export { writeDigitImageFolder, type DigitImageFolder, type DigitImageFolderOptions } from './digit-image-folder.js';
