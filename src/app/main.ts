import { createTrainer } from '../train/backend.ts';
console.log(createTrainer);
