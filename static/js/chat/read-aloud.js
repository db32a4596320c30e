/*
 * "Read aloud": the question and its choices, spoken by the browser (speechSynthesis) in the
 * conversation's language. The button (in the card, hidden) is shown only where a voice for that
 * language exists: a voice reading Welsh words with English sounds would be worse than none.
 */

import { card, state, t } from './state.js';

const speech = window.speechSynthesis || null;
let speaking = false;

function voiceFor(lang) {
  if (!speech || typeof speech.getVoices !== 'function' || !lang) {
    return null;
  }
  const want = String(lang).toLowerCase();
  return (speech.getVoices() || []).find((voice) => {
    const have = String(voice.lang || '').toLowerCase().replace('_', '-');
    return have === want || have.indexOf(want + '-') === 0;
  }) || null;
}

function readButton() {
  return card.querySelector('[data-action="read-aloud"]');
}

export function updateReadAloud() {
  const button = readButton();
  if (!button) {
    return;
  }
  const can = Boolean(window.SpeechSynthesisUtterance && voiceFor(state.lang));
  button.parentNode.hidden = !can;
  button.textContent = speaking ? t('stop-reading') : t('read-aloud');
}

export function stopSpeaking() {
  if (speaking && speech) {
    try {
      speech.cancel();
    } catch (e) { /* nothing to stop */ }
  }
  speaking = false;
  const button = readButton();
  if (button) {
    button.textContent = t('read-aloud');
  }
}

function speechText(turn) {
  const lines = (turn.messages || []).slice();
  if (turn.input && (turn.input.kind === 'choice' || turn.input.kind === 'multi')) {
    (turn.input.options || []).forEach((option) => lines.push(option.label));
  }
  return lines.join('\n');
}

export function readAloud() {
  if (speaking) {
    stopSpeaking();
    return;
  }
  const voice = voiceFor(state.lang);
  if (!voice || !state.turn) {
    updateReadAloud();
    return;
  }
  const utterance = new window.SpeechSynthesisUtterance(speechText(state.turn));
  utterance.lang = state.lang; // the conversation's language, from the turn
  try {
    utterance.voice = voice;
  } catch (e) { /* the browser picks a voice for utterance.lang */ }
  utterance.onend = utterance.onerror = () => {
    speaking = false;
    updateReadAloud();
  };
  try {
    speech.cancel();
  } catch (e) { /* nothing was speaking */ }
  speaking = true;
  updateReadAloud();
  speech.speak(utterance);
}

// Voices often arrive after the page: show the button once one speaks the language.
export function listenForVoices() {
  if (!speech) {
    return;
  }
  if (typeof speech.addEventListener === 'function') {
    speech.addEventListener('voiceschanged', updateReadAloud);
  } else if ('onvoiceschanged' in speech) {
    speech.onvoiceschanged = updateReadAloud;
  }
}
