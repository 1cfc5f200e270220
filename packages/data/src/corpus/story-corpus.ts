// The built-in story corpus (`--input builtin:stories`): simple, deterministic children's stories
// made from word lists and templates with a seed, for tests (no download, any size).
// Not real language data: vocabulary and grammar are small on purpose (builtin:brown is the real text).

import { Rng } from '@hyperclone/core';

const NAMES = ['Lily', 'Tom', 'Mia', 'Ben', 'Sue', 'Max', 'Anna', 'Sam', 'Lucy', 'Tim', 'Zoe', 'Leo', 'Emma', 'Jack', 'Rosa', 'Finn'];
const ANIMALS = ['cat', 'dog', 'bird', 'frog', 'bunny', 'duck', 'fox', 'bear', 'mouse', 'owl', 'fish', 'turtle'];
const PLACES = [
  'the park',
  'the forest',
  'the garden',
  'the beach',
  'the farm',
  'the lake',
  'the hill',
  'the town',
  'the meadow',
  'the river',
];
const OBJECTS = ['ball', 'kite', 'box', 'hat', 'book', 'toy car', 'red apple', 'shell', 'drum', 'blue cup', 'little boat', 'shiny stone'];
const ADJECTIVES = ['happy', 'small', 'big', 'kind', 'brave', 'shy', 'funny', 'curious', 'sleepy', 'clever', 'gentle', 'busy'];
const FEELINGS = ['happy', 'proud', 'excited', 'surprised', 'glad', 'thankful'];
const WEATHER = ['sunny', 'rainy', 'windy', 'cold', 'warm', 'bright'];
const VERBS = ['play', 'run', 'jump', 'sing', 'dance', 'swim', 'read', 'draw', 'climb', 'hide'];
const PROBLEMS = ['lost', 'broke', 'dropped', 'could not find', 'forgot'];
const HELPERS = ['mom', 'dad', 'friend', 'grandma', 'teacher', 'sister', 'brother'];
const MORALS = [
  'It is good to share with friends.',
  'Being kind makes everyone happy.',
  'When you ask for help, things get easier.',
  'Trying again is how you learn.',
  'Friends help each other.',
  'Being brave is not the same as not being scared.',
];

type Pick = <T>(xs: readonly T[]) => T;

function opening(p: Pick, hero: string, animal: string, place: string): string {
  return p([
    `Once upon a time, there was a ${p(ADJECTIVES)} ${animal} named ${hero}. ${hero} lived near ${place}.`,
    `One ${p(WEATHER)} day, a ${p(ADJECTIVES)} girl named ${hero} went to ${place}.`,
    `${hero} was a ${p(ADJECTIVES)} boy who loved to ${p(VERBS)}. Every day he went to ${place}.`,
    `There once was a little ${animal} called ${hero}. The ${animal} liked to ${p(VERBS)} in ${place}.`,
  ]);
}

function middle(p: Pick, hero: string, friend: string, object: string, helper: string): string {
  const feeling = p(FEELINGS);
  return [
    `One day, ${hero} ${p(PROBLEMS)} the ${object}. ${hero} felt ${p(['sad', 'scared', 'worried'])}.`,
    `"Where is my ${object}?" ${hero} asked. ${friend} said, "Do not worry, I will help you."`,
    p([
      `They looked under a tree and behind a rock. At last they found the ${object} near the ${p(['water', 'flowers', 'old fence', 'big tree'])}.`,
      `They asked ${hero}'s ${helper} for help. The ${helper} smiled and showed them where the ${object} was.`,
      `${friend} had an idea. "Let us ${p(VERBS)} and look at the same time!" Soon they saw the ${object}.`,
    ]),
    `${hero} was ${feeling} and said, "Thank you, ${friend}!"`,
  ].join(' ');
}

function ending(p: Pick, hero: string, friend: string): string {
  return p([
    `After that, ${hero} and ${friend} played together every day. ${p(MORALS)}`,
    `From then on, ${hero} always kept things in a safe place. ${p(MORALS)}`,
    `${hero} and ${friend} went home and told everyone about their day. ${p(MORALS)}`,
  ]);
}

/** One story; the same (seed, index) always gives the same text. */
function generateStory(seed: number, index: number): string {
  const rng = new Rng(seed, `story/${index}`);
  const p: Pick = (xs) => xs[rng.int(xs.length)]!;
  const hero = p(NAMES);
  let friend = p(NAMES);
  while (friend === hero) friend = p(NAMES);
  const parts = [opening(p, hero, p(ANIMALS), p(PLACES)), middle(p, hero, friend, p(OBJECTS), p(HELPERS)), ending(p, hero, friend)];
  return parts.join('\n\n');
}

export interface StoryCorpusOptions {
  seed?: number;
  /** Stop after about this many UTF-8 bytes (default 4 MiB). */
  bytes?: number;
}

/** Stories in order until the byte budget is reached. */
export function* generateStories(options: StoryCorpusOptions = {}): Generator<string> {
  const seed = options.seed ?? 0;
  const budget = options.bytes ?? 4 * 2 ** 20;
  let bytes = 0;
  for (let i = 0; bytes < budget; i++) {
    const story = generateStory(seed, i);
    bytes += Buffer.byteLength(story) + 1;
    yield story;
  }
}
