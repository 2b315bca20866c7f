// The server's result: the liveness verdict and, when one was asked for, the face match, each in words.
import React from 'react';

import type { Feedback, MatchResult, Results } from './api';
import { describeFeedback, MATCH_WORDS, VERDICT_WORDS } from './words';

function MatchView({ match }: { match: MatchResult }) {
  const compared = match.similarity != null;
  return (
    <div className={`match match-${match.outcome}`} role="status" data-testid="match">
      <strong>ID photo: {match.outcome}</strong>
      <span>{MATCH_WORDS[match.outcome]}</span>
      {compared && (
        <span className="small">
          Similarity {match.similarity!.toFixed(1)} % (a match needs {match.threshold} %)
        </span>
      )}
    </div>
  );
}

// Each condition Rekognition reported for a failed check, with what to do about it.
function FeedbackView({ feedback }: { feedback: Feedback[] }) {
  return (
    <ul className="feedback" data-testid="feedback">
      {feedback.map((item, index) => {
        const words = describeFeedback(item);
        return (
          <li key={index} data-code={item.code}>
            {words.text} <span className="hint">{words.hint}</span>
          </li>
        );
      })}
    </ul>
  );
}

export function ResultView({ results }: { results: Results }) {
  const words = VERDICT_WORDS[results.decision];
  return (
    <>
      <div className={`verdict verdict-${results.decision}`} role="status" data-testid="verdict">
        <strong>{words.title}</strong>
        <span>{words.text}</span>
        {results.confidence != null && (
          <span className="small">
            Confidence {results.confidence.toFixed(1)} (threshold {results.threshold})
          </span>
        )}
        {results.feedback && results.feedback.length > 0 && <FeedbackView feedback={results.feedback} />}
      </div>
      {results.match && <MatchView match={results.match} />}
    </>
  );
}
