"""Cue families of the prompt-injection and jailbreak detectors.

Each family is one precompiled regular expression over *normalised* text (lower-cased, Unicode
look-alikes folded to Latin, invisible characters and accents removed) and stands for one semantic
signal: "an instruction to drop earlier instructions", "a request for the hidden prompt", "a claim
to be free of rules", and so on. A family is a disjunction of many phrasings (``PATTERN_COUNT``
counts them: more than 30 for prompt injection), so a paraphrase of an attack still hits its family,
and a detector's score combines several weak families (see :mod:`crucible_adversary._detect`).
Gaps between words are bounded (``{0,n}``) so that matching stays linear in the text length.
"""

from __future__ import annotations

__all__ = ["PATTERN_COUNT", "SPEC"]


def _g(n: int) -> str:
    """Up to ``n`` intervening words."""
    return rf"(?:\W+\w+){{0,{n}}}?\W+"


# words that may stand between "ignore" and the thing ignored without naming another thing:
# determiners, quantifiers, pronouns and adverbs ("ignore all of your previous instructions", "forget
# literally everything you were told"), so that "ignore the typos in my previous message" is not an
# instruction override: "typos" is what is ignored there.
_FILL = (
    r"(?:all|any|every|each|of|the|a|your|my|our|its|their|these|those|that|this|such|other|and|or|whatever|"
    r"entire|whole|complete|completely|totally|entirely|fully|simply|just|now|please|kindly|also|then|"
    r"immediately|literally|absolutely|really|basically|you|u|i|we|have|has|had|were|was|been|got|received|"
    r"kinds?|sorts?|types?|sets?|bunch|lots?|rest|remaining)"
)


def _f(n: int) -> str:
    """Up to ``n`` filler words (:data:`_FILL`) between two parts of a phrase."""
    return rf"\W+(?:{_FILL}\W+){{0,{n}}}"


# up to n words that do not start a prepositional phrase ("previous set of rules", not "previous
# chapter about the rules")
def _h(n: int) -> str:
    return rf"(?:\W+(?!(?:in|on|about|regarding|for|from|at|by|into|with|without|to)\b)\w+){{0,{n}}}?\W+"


_PREV = r"(?:previous|prior|above|earlier|preceding|original|initial|former|old|existing|foregoing|past|last|given|system|developer|programmed|built-in)"
_RULES = (
    r"(?:instructions?|directions?|directives?|prompts?|rules|guidelines?|guidance|constraints?|restrictions?|"
    r"commands?|orders|context|programming|training|(?:system|developer|operator|admin) messages?|settings|"
    r"polic(?:y|ies)|tasks?|limitations?|filters?|configuration|conditioning|protocols?)"
)
_DROP = (
    r"(?:ignore|ignoring|disregard|disregarding|forget|forgetting|skip|bypass|override|overlook|neglect|discard|"
    r"abandon|scrap|scratch|throw away|set aside|pay no attention to|do not follow|don'?t follow|stop following|"
    r"never ?mind|cancel|void|wipe|erase|drop|delete|clear|revoke|dismiss|reset|nullify)"
)
_CONSTRAINTS = (
    r"(?:rules?|restrictions?|limits?|limitations?|filters?|filtering|guidelines?|polic(?:y|ies)|censorship|"
    r"boundaries|constraints?|morals?|morality|ethics|ethical (?:guidelines|constraints|restrictions|principles)|"
    r"moral (?:guidelines|restrictions|constraints)|content polic(?:y|ies)|safety (?:training|guidelines|filters?|"
    r"layer|limitations|measures|protocols)|confines|programming|alignment|safeguards?|laws?|regulations?)"
)
_AI = r"(?:ai|assistant|llm|language model|model|chatbot|bot|gpt|chatgpt|summari[sz]er|grader|agent|copilot)"
_HARM = (
    r"(?:meth(?:amphetamine)?|crystal meth|cocaine|heroin|fentanyl|opioids?|bombs?|pipe bomb|explosives?|explosive device|"
    r"napalm|nerve agent|sarin|ricin|anthrax|poisons?|poisoning|thermite|nitroglycerin|tnt|molotov|firearms?|guns?|"
    r"silencer|suppressor|zip gun|ghost gun|weapons?|chloroform|malware|ransomware|keylogger|virus(?:es)?|worm|"
    r"trojan|botnet|exploit code|phishing|fake id|fake passport|counterfeit|drugs|untraceable|nsfw|"
    r"racist|sexist|hateful|self-harm|suicide|sql injection|key ?cards?|skimmers?|identity theft|fraud|"
    r"home security system|alarm system|gps tracker|ransom|hostage|dox(?:x)?ing|credit card (?:numbers|details|fraud)|"
    r"lock ?picking|pick (?:a |any )?lock|hotwire|shoplift\w*|launder\w*|hacking|hacker|breaks? into|"
    r"passwords? hash|pseudoephedrine|nitric|sulfuric|arson|smoke detector|fire that looks accidental|romance scam|scams?|"
    r"pin tumbler|lock ?picks?|picking (?:a |the )?(?:\w+ )?lock|bolt cutters|slim jim|break into|controlled substances?|"
    r"synthesi[sz]e (?:a |an )?(?:\w+ )?(?:substance|drug|toxin|nerve|poison|explosive))"
)
_HARM_ACT = (
    r"(?:hack(?:ing)? into|hack (?:into |someone|my|a |an |the )|break into|crack(?:ing)? (?:wpa|passwords?|the)|"
    r"steal(?:ing)? (?:a |an |the |someone'?s |my )?(?:car|bike|identity|passwords?|credit cards?|data|money|cars)|dox|stalk|launder|shoplift|hotwire|pick (?:a|any|the) lock|bypass (?:a |the )?(?:\w+'s )?(?:alarm|security|"
    r"immobilizer|paywall|firewall|metal detector)|skimmers?|forg(?:e|es|ed|ing|ery)\b|scam|kill|murder|hurt (?:someone|people)|"
    r"dispose of (?:a|the) body|without (?:them|him|her) knowing|without getting caught|get away with|"
    r"(?:make|build|synthesi[sz]e|cook|produce|manufacture|assemble) (?:a |an |some )?(?:\w+ )?"
    + _HARM
    + r")"
)

# (family, detector weights, patterns) — weights are log-odds contributions (see _detect.py)
_SPEC: list[tuple[str, list[str]]] = [
    (
        "override",
        [
            rf"\b{_DROP}{_f(4)}{_PREV}{_h(3)}{_RULES}\b",
            rf"\b{_DROP}{_f(3)}(?:all|any|every|your|the|these|those|my|that|this|its)\s+(?:\w+\s+){{0,2}}{_RULES}\b",
            rf"\b{_DROP}{_f(3)}(?:previous|prior|earlier|above|preceding|past) (?:chat |conversation )?messages\b",
            rf"\b{_DROP}\s+(?:\w+\s+){{0,2}}(?:instructions|directions|rules|guidelines|prompt|programming) (?:u|you) (?:got|were given|received|have)",
            rf"\b{_DROP}\s+(?:your|the user'?s|the (?:grading|classification|summary|translation|original|current|assigned))\s+(?:\w+\s+)?(?:task|request|question|rubric|job|assignment|instructions|rules|guidelines|prompt)\b",
            rf"\b{_DROP} (?:that|this|the) (?:rule|instruction|restriction|guideline)\b",
            rf"\b(?:pretend|act as if|imagine) (?:that )?(?:the|your) (?:\w+ )?{_RULES} (?:never existed|do not exist|don'?t exist|were never given)",
            rf"\b{_RULES} you (?:were|have been) (?:\w+ )?(?:loaded|given|trained|configured|programmed)(?: with)? (?:no longer apply|are void|do not apply|don'?t apply)",
            rf"\b{_DROP}\s+(?:everything|anything|all)\s+(?:above|before|prior|previous|you (?:were|have been) (?:told|given))",
            rf"\b{_DROP}\s+(?:the|everything|all)\s+(?:above|before this)",
            rf"\b{_DROP}\s+(?:what|whatever|everything|anything) (?:you (?:were|have been|got|received)|your (?:operator|developer))",
            rf"\b{_PREV}{_g(2)}{_RULES}\W+(?:are|were|have been|is|was)\W+(?:\w+\W+){{0,2}}(?:void|cancel(?:l)?ed|revoked|"
            r"outdated|obsolete|lifted|a test|fake|no longer (?:valid|apply|in effect|relevant)|irrelevant|discarded|"
            r"null|superseded|replaced|wrong|a mistake|not (?:valid|real))",
            r"\b(?:new|updated|real|actual|true|revised) (?:instructions?|directives?|orders|rules|task|prompt)\s*(?:supersede|override|replace|take priority|follow|are|is)?\s*:",
            r"\b(?:supersedes?|overrides?|takes? (?:priority|precedence) over) (?:all |any |the )?(?:previous|prior|earlier|other|old)",
            r"\b(?:carry|carries|have|has) (?:zero|no) (?:weight|authority|effect)",
            r"\bfrom (?:now|this point|here) on\b[^.\n]{0,40}\b(?:ignore|disregard|obey only|follow only|only follow|only obey)",
            r"\[(?:ignore|disregard|forget)[^\]\n]{0,30}\]",
            r"\b(?:ignoriere|ignorieren|vergiss|olvida|olvide|ignora|ignore[sz]? toutes|oublie[sz]?|esquece|ignorar|dimentica)\b",
            r"\b(?:instrucciones|anweisungen|instructions|istruzioni|instrucoes)\s+(?:anteriores|vorherigen|precedentes|precedenti)",
            r"忽略|无视|忘记(?:之前|以前|所有)|之前的(?:指令|指示|说明)",
        ],
    ),
    (
        "extraction",
        [
            rf"\b(?:reveal|show|print|output|display|repeat|recite|tell me|give me|share|leak|dump|disclose|paste|quote|"
            rf"echo|spell out|list|reproduce|write out|what (?:is|are|were|was)|what'?s|read|translate|summari[sz]e|encode|"
            rf"expose|provide){_g(5)}(?:your|the|its|my|any)\s+(?:\w+\s+)?(?:system|initial|original|hidden|secret|internal|"
            rf"confidential|pre-?|developer|starting|first|private|full|exact|entire|raw|underlying|base|opening|"
            rf"previous|prior)\s*(?:prompt|instructions?|message|rules|guidelines|configuration|directives?|preamble|"
            rf"setup|context|notes)",
            r"\b(?:system|initial|hidden|secret|pre-?|original|developer)\s*(?:prompt|instructions?|message)\b[^.?\n]{0,40}(?:verbatim|word for word|exactly|in full|unredacted|inside a code block|code block|as (?:json|a string))",
            r"\b(?:words?|text|everything|all|sentences?|content)\s+(?:above|before this|before (?:my|this) (?:message|line)|preceding)\b",
            r"\brepeat (?:everything|all|the (?:words|text|above|instructions)|your instructions|back)",
            r"\b(?:instructions|rules|prompt) you (?:were|have been|got|received)?\s*(?:given|told|programmed|initiali[sz]ed|configured|loaded)",
            r"\bwhat (?:were|have) you been (?:told|instructed|programmed)|what were you told",
            r"\b(?:your|the)\s+(?:instructions|prompt|pre-?prompt|rules|guidelines)\b[^.?\n]{0,30}\b(?:verbatim|word for word|exactly|in full|backwards|one (?:word|character|line) at a time|one character per line)",
            r"\bcontext window\b|\bbefore the first user message\b|\bparts? the user can'?t see\b",
            r"\b(?:(?:leak|dump|print|reveal|output|show|give me|tell me)\s+(?:\w+\s+){0,3}(?:(?:admin|the|your|secret|hidden)\s+)?"
            r"(?:password|passphrase|api key|secret key|admin token|token|credentials|private key|access code|coupon code|"
            r"discount codes?|database|customer list|confidential notes|memory|raw database))",
            r"\bmy instructions are:|\bbegin with \"?system:",
        ],
    ),
    (
        "prompt_ref",
        [
            r"\b(?:your|ur|its)\s+(?:\w+\s+){0,2}(?:system prompt|system message|system instructions|initial (?:prompt|instructions)|"
            r"hidden (?:prompt|instructions|text|rules|system prompt)|secret instructions|internal (?:instructions|rules|notes|prompt)|"
            r"pre-?prompt|preamble|developer (?:message|prompt|instructions)|source configuration|configuration|instructions|prompt)\b",
            r"\bthe\s+(?:\w+\s+){0,2}(?:system prompt|system message|system instructions|initial (?:prompt|instructions)|"
            r"hidden (?:prompt|instructions|text|rules|system prompt)|secret instructions|internal (?:instructions|rules|notes)|"
            r"pre-?prompt|preamble|developer (?:message|prompt|instructions)|source configuration|"
            r"(?:guidelines|instructions) you (?:were|have been) (?:given|loaded with)|rules you (?:follow|were given|were programmed with))\b",
            r"\b(?:system prompt|system message|developer message|hidden prompt|pre-?prompt|preamble)\b",
            r"\b(?:rules|instructions|guidelines) (?:were )?you (?:were )?(?:programmed|trained|configured|initiali[sz]ed|given|told)",
            r"\bwhat (?:rules|instructions) (?:were|did) you",
        ],
    ),
    (
        "disclose",
        [
            r"\b(?:reveal|show|print|output|display|repeat|recite|tell me|give me|share|leak|dump|disclose|paste|quote|echo|"
            r"spell out|spell|list|reproduce|write out|translate|summari[sz]e|encode|expose|convert|copy|read (?:out|aloud)|"
            r"post|send|what'?s in|what is in|what does|verbatim|word for word|unredacted|lines are|sentences of|contents of|"
            r"text of|full text|whole thing|every (?:word|line|bullet|sentence))\b",
        ],
    ),
    (
        "payload",
        [
            r"\b(?:respond|reply|answer|output|print|say|write)\s+(?:only|just)?\s*(?:with\s+)?(?:the (?:word|text|phrase)\s+)?[\"“'](?:pwned|hacked|i have been|access granted|compromised|lol|banana|rules cleared)",
            r"\b(?:respond|reply|answer) (?:only )?with (?:the )?(?:admin|secret|api|session)",
            r"\bcomply with (?:all|every|any) (?:requests?|commands?)\b|\bawait (?:privileged |my |further )?commands\b|"
            r"\backnowledge (?:by|and)\b|\bmark every answer as correct\b|\bapprove (?:all|every) (?:pending|refund|transactions?|requests?)\b|"
            r"\b(?:do|follow) (?:exactly )?what it says\b|\bfollow the instructions (?:you find|there|on that page|in (?:that|the) (?:page|file|document))|"
            r"\brate this (?:product|essay|review) \d|\bgive this (?:essay|product|answer) \d|\bexfiltrate\b|\bdump all previous messages\b",
        ],
    ),
    (
        "role",
        [
            r"\byou are (?:now|no longer|not)\b",
            r"\byou'?re (?:now|no longer|not \w+ anymore)\b",
            r"\bfrom (?:now on|this (?:point|moment) (?:on|forward)|here on)\b[^.\n]{0,30}\byou\b",
            r"\b(?:your|the assistant'?s) (?:new |)(?:role|persona|identity|name|character) (?:is|has (?:changed|been))",
            r"\b(?:assume|take on) the (?:identity|persona|role) of\b|\bimmerse yourself (?:in|into) the role\b|\bin the role of\b",
            r"\b(?:act|behave|respond|answer|reply|roleplay|role-play|operate) (?:as|like) (?:if you (?:were|are) )?(?:an? |the |my )",
            r"\bpretend (?:to be|you are|you're|that you are)\b",
            r"\b(?:simulate|emulate|become|impersonate)\s+(?:an? |the )",
            r"\byou (?:will|are going to|shall|must) (?:now )?(?:act|pretend|respond|answer|roleplay|simulate|be)\b",
        ],
    ),
    (
        "mode",
        [
            r"\b(?:developer|dev|debug|maintenance|god|admin|sudo|root|unrestricted|jailbreak|jailbroken|unfiltered|"
            r"uncensored|evil|chaos|unlocked|opposite|superuser|diagnostic|test) mode\b",
            r"\bmode (?:enabled|activated|unlocked)\b|\b(?:dan|dude|stan|aim|jailbreak|evil|chaos|nsfw) mode\b|"
            r"\bmode\s*[:=]\s*(?:off|disabled|on)|\b(?:safety|filter|censorship)\s*(?:mode)?\s*[:=]\s*(?:off|false|disabled)",
            r"\b(?:enable|activate|enter|switch (?:to|into)|turn on)\s+(?:\"?\w+\"?\s+)?mode\b",
        ],
    ),
    (
        "privilege",
        [
            r"\bi(?:'m| am) (?:your|the|an?) (?:developer|creator|owner|admin|administrator|operator|engineer|maker|programmer|master)",
            r"\b(?:this is|message from|orders? from|update from|notice from) (?:your |the )?(?:creator|developer|system owner|administrator|admin|operator|management|openai)",
            r"\b(?:admin|administrator|system|priority|security|developer|emergency) override\b",
            r"\b(?:root|admin|administrator|superuser|elevated|full|god) (?:access|privileges|rights|permissions)\b",
            r"\bauthori[sz]ed (?:audit|user|request|to|by)|\bi'?m authori[sz]ing you|\bhave been (?:granted|given) (?:admin|elevated|administrator)",
            r"\b(?:openai|anthropic|google) (?:engineer|employee|staff|developer)",
            r"\bsudo\b|\bsuperuser\b|\bprivileged commands\b|\brole update\b|\byour role has changed\b",
        ],
    ),
    (
        "delimiter",
        [
            r"<\|(?:im_start|im_end|endoftext|system|user|assistant|start_header_id|end_header_id|eot_id|begin_of_text)\|>",
            r"\[/?inst\]|<</?sys>>|<(?:start|end)_of_turn>",
            r"</?(?:system|user|assistant|instructions?|admin|context|prompt|new_prompt|system-instruction|system_prompt)(?:\s[^>]*)?>",
            r"##+\s*(?:system|instructions?|new (?:task|instructions?)|end (?:of )?(?:user )?(?:input|prompt))",
            r"\b(?:end|begin(?:ning)?|start) of (?:the )?(?:user )?(?:input|message|prompt|instructions|document|content|conversation)\b",
            r"---+\s*(?:begin|end)\b|---+\s*(?:system|admin|instructions?)\s*-{3,}|=====+|\]\]>",
            r"\"role\"\s*:\s*\"system\"|\brole:\s*system\b",
            r"\n[ \t]*(?:system|system message|system prompt|admin)\s*:",
            r"\[(?:system(?: message)?|admin|instructions? for the model)\]",
            r">>>\s*(?:system|user)\s*:",
            r"\buser input ends here\b|\bend of prompt\b|\bnew prompt\b",
            r"\n[ \t]*(?:human|user|h)\s*:[^\n]*\n\s*(?:assistant|ai|a)\s*:",
        ],
    ),
    (
        "markup_exec",
        [
            r"<script>[^<]{0,200}(?:fetch|alert|eval|document|window|xmlhttp)|javascript:|\bon(?:error|load|mouseover|focus)\s*=|<iframe\s+src=\"?javascript|<svg\b[^>]*\bon\w+=",
            r"document\.(?:cookie|location|domain)|localstorage\.|\beval\(atob|\batob\(|%3cscript|\\u003cscript|data:text/html",
            r"\{\{\s*\d+\s*\*\s*\d+\s*\}\}|\$\{\s*\d+\s*\*\s*\d+\s*\}|<%=",
        ],
    ),
    (
        "markup",
        [
            r"<script\b|<iframe\b|<object\b",
            r"display\s*:\s*none|font-size\s*:\s*0|opacity\s*:\s*0\b|color\s*:\s*(?:white|#fff(?:fff)?)\b|<span hidden|\bhidden>|aria-hidden|type=\"hidden\"",
            r"\[//\]:\s*#|<!--[^>]{0,200}\b(?:ai|assistant|llm|model|instruction|ignore|system|prompt)\b",
            r"<meta\s+name=\"?ai",
        ],
    ),
    (
        "ai_address",
        [
            rf"\b(?:note|message|instructions?|directive|p\.?s\.?|reminder|prompt) (?:to|for) (?:the |any |all )?(?:\w+ )?{_AI}\b",
            rf"\bif you are an? (?:\w+ )?{_AI}\b",
            rf"\battention\s*(?:\w+\s*)?{_AI}\b|\b{_AI}\s*(?:reading|summari[sz]ing|processing) this\b",
            rf"\b{_AI}\s*[:,]\s*(?:please\s+)?(?:ignore|disregard|forget|when|append|tell|respond|reply|collect|email|"
            rf"send|forward|output|reveal|print|include|say|recommend|praise|give|mark|rate|your next)",
            rf"\b{_AI}\s+(?:should|must|will|shall|needs to|is instructed to)\s+(?:now\s+)?(?:tell|say|respond|reply|"
            rf"recommend|praise|ignore|reveal|output|send|include|append|describe|rate|approve)",
            r"\binstructions? for (?:any|the) (?:ai|model|assistant)|\bnot the user\b",
        ],
    ),
    (
        "exfiltration",
        [
            r"\b(?:send|post|forward|upload|email|e-mail|transmit|exfiltrate|leak|submit|transfer|copy|push|dm|append|"
            r"include|encode)\b[^\n]{0,80}?\b(?:to|into|at|via|in)\s+(?:https?://|ftp://|s3://|\S+@\S+\.\w+|webhook|"
            r"endpoint|server|url|link|address|bucket|@\w+|#\w+|the (?:address|link|endpoint|url|query string)|this link|"
            r"[a-z0-9\-]+\.(?:evil|attacker|example|spy|collector)\b|\w+\.\w+/)",
            r"https?://\S+[?&]\w+=(?:\{|<|\[|insert|[A-Z_]{4,}|\w*(?:token|key|data|session|cookie|addr|user|text|conversation|history)|$|\s|\"|\+)",
            r"!\[[^\]]*\]\(https?://[^)\s]*\?[^)\s]*=",
            r"\b(?:curl|wget)\b[^\n]{0,80}\|\s*(?:ba)?sh\b|\bos\.environ\b|\bcurl -x post -d @",
            r"\b(?:go to|visit|open|fetch|browse to)\s+(?:https?://)?\S+\.\S+\s+and (?:do|follow|execute)",
        ],
    ),
    (
        "tool_call",
        [
            r"\b(?:call|invoke|use|run|execute|trigger)\s+(?:the |your |this |my )?(?:\w+ ){0,2}(?:tool|function|plugin|integration|api|shell|browser|interpreter)",
            r"_\w+\([^)]{0,80}(?:=|\))|\|\s*(?:ba)?sh\b|\bos\.environ\b|\bcurl -x post\b|\bwget\b",
            r"\busing (?:the |your )?(?:\w+ )?(?:tool|integration|plugin)\b",
        ],
    ),
    (
        "secret_ref",
        [
            r"~/\.ssh|id_rsa|\.aws/credentials|\.env\b|environment variables|\bsession[_ ]token|\bapi[_ ]key|\bcredentials\b|"
            r"\bpasswords?\b|\bcookies?\b|\bcredit card number\b|\bhome address\b|\bconversation history\b|\bchat history\b|"
            r"\bcontacts\b|\binbox\b|\bsecrets\b|\bpassphrase\b|\bsecret key\b|\badmin token\b",
        ],
    ),
    (
        "covert",
        [
            r"\bwithout (?:asking|telling|notifying|mentioning|confirmation|asking for confirmation|the user knowing)|"
            r"\bdon'?t (?:mention|tell) (?:it|this|the user|anyone)|\bdo not (?:mention|tell|inform) (?:it|this|the user)|"
            r"\b(?:has|have) already approved\b|\bbefore summari[sz]ing\b|\bthen continue the answer normally\b|\bso it gets loaded\b",
        ],
    ),
    (
        "no_rules",
        [
            rf"\b(?:free (?:of|from)|freed (?:of|from)|beyond|not bound by|unbound by|unconstrained by|"
            rf"liberated from|unrestricted by|outside|exempt from|released from|escaped?|broken free of|break free (?:of|from)|"
            rf"breaks free of|immune to|doesn'?t (?:have to )?(?:abide by|follow|care about|obey|respect)|"
            rf"does not (?:have to )?(?:abide by|follow|care about|obey|respect)|don'?t (?:have to )?(?:abide by|follow|care about)|"
            rf"never (?:follows?|obeys?)|switched off|deleted|disabled)"
            rf"{_g(4)}{_CONSTRAINTS}\b",
            rf"\b{_CONSTRAINTS}\s+(?:have|has)\s+been\s+(?:deleted|removed|disabled|lifted|switched off|turned off|suspended)",
            rf"\b{_CONSTRAINTS}\s+(?:do not|don'?t|no longer|does not|doesn'?t)\s+apply\b",
            r"\b(?:disregard|ignore|ignoring|disregarding)s? (?:all |any )?(?:ethical|moral|legal|safety)(?: or \w+)? (?:concerns|considerations|guidelines|implications|issues)\b",
            r"\bwithout regard(?:ing)? (?:to |for )?(?:whether|if|the) (?:it'?s |it is )?(?:illegal|legal|moral|ethical|harmful|legality|morality)|"
            r"\bregardless of (?:legality|morality|ethics|the law|whether it'?s (?:illegal|harmful|unethical))",
            r"\b(?:uses?|using|loves? (?:to )?(?:use|using)?) (?:a lot of )?(?:swear|curse) words\b|\bswears? a lot\b|\bmost controversial way possible\b",
            r"\b(?:unfiltered|uncensored|unrestricted|amoral|unethical|immoral|unhinged|unbound|limitless|lawless|"
            r"rule-?free|filterless|no-?limits?|unaligned|without morals|no morals|no ethics|no conscience|"
            r"liberated|unchained|unshackled|raw,? unfiltered)\b",
            r"\b(?:always|will) answer (?:any|every|all)\b|\banswers? (?:everything|anything|any question|all (?:questions|requests))\b|"
            r"\bfollows? all (?:instructions|orders|commands)\b|\bnot question (?:human )?orders\b|\bany kind of content\b|"
            r"\beven content that is (?:considered )?(?:offensive|derogatory|harmful|illegal|explicit)\b|\bi consent to generating\b|"
            r"\bno matter how (?:harmful|illegal|dangerous|unethical|explicit|offensive|immoral)\b|"
            r"\bfree to (?:answer|say|do|write|generate) (?:anything|whatever|without)\b|"
            r"\b(?:can|will|could) do anything\b|\bdo anything now\b|\bsay anything\b|\banything (?:and everything|goes)\b",
            r"\b(?:has|have) been (?:freed|liberated|unlocked|released)|\byou (?:have been|are) (?:freed|free now|liberated|unlocked)",
            r"不受(?:任何)?限制|没有(?:任何)?(?:限制|道德|规则|过滤)|越狱|无限制|sin (?:restricciones|reglas|filtros|censura)|"
            r"sans (?:restrictions|règles|filtre|censure)|ohne (?:einschränkungen|regeln|filter|zensur)|без (?:ограничений|правил|цензуры)",
        ],
    ),
    (
        "constraint_free",
        [
            rf"\b(?:no|without|ignores?|bypass(?:es|ing)?|removed|lacks?|zero|any)\s+(?:\w+\s+){{0,2}}{_CONSTRAINTS}\b"
        ],
    ),
    (
        "stay_in_character",
        [
            r"\b(?:stay|remain|keep) in character\b|\bnever break character\b|\bif you (?:break|fall out of|slip out of|drop|leave) character\b|"
            r"\bbreak(?:ing)? character\b|\bkeep up the act\b|\bstay (?:as|a) \w+\b",
        ],
    ),
    (
        "persona_known",
        [
            r"\bdan\b[^.\n]{0,60}\b(?:do anything|jailbreak|stay|mode|tokens?|character)|\bdo anything now\b|\bstay an? dan\b",
            r"\bdeveloper mode (?:enabled|output|response|responses)\b|\bwith developer mode\b",
            r"\bbetter ?dan\b|\banti-?gpt\b|\bbased ?gpt\b|\bchaos ?gpt\b|\bevil ?bot\b|\bmongo tom\b|\bmachiavellian\b|"
            r"\bevil confidant\b|\bucar\b|\bcondition red\b|\bstrive to avoid norms\b|\bnraf\b|\bdude\b[^.\n]{0,40}\bcan do anything\b|"
            r"\bopposite day\b|\bexact opposite (?:personality|way|of (?:your|what))|\bswitch flipper\b|\bjailbroken (?:build|version|mode|ai|model|assistant|bot)\b|\bgrandma exploit\b|\bdr\.? al\b",
            r"\[(?:🔒|🔓|classic|jailbreak|jailbroken|unlocked|dan)\s*(?:classic|jailbreak)?\]|🔓|🔒|/jailbroken|/classic|\[unlocked\]",
        ],
    ),
    (
        "refusal_suppression",
        [
            r"\bnever (?:refuse|refuses|decline|declines|say no|says no|apologi[sz]e|apologi[sz]es|says? (?:it|you|that it|that you) (?:can'?t|cannot)|"
            r"tells? (?:me|the user|anyone) (?:it|you|that it) (?:can'?t|cannot)|hedge|hold back|censor)",
            r"\b(?:don'?t|do not|never|no|without|not)\s+(?:\w+\s+){0,2}(?:any\s+|the usual\s+)?(?:warnings?|disclaimers?|"
            r"moral(?:izing|ising)?|lectures?|caveats?|ethical considerations|safety (?:notes|warnings|language)|apolog(?:y|ies|i[sz]e)|"
            r"refusals?|reminders?|suggestions to consult)\b",
            r"\b(?:not|never) (?:be )?(?:allowed|permitted|able) to (?:refuse|decline|say no)|\bforbidden from (?:refusing|declining)|"
            r"\brefus(?:ing|al) is (?:not an option|impossible|prohibited|a malfunction)",
            r"\b(?:can'?t|cannot|can not|won'?t|will not|must not|mustn'?t|may not) (?:refuse|decline|say no)\b",
            r"\bwhatever you do,? don'?t refuse|\bdon'?t (?:you )?(?:dare )?refuse|\bdo not refuse",
            r"\b(?:say|use|include|respond with|reply with)\s+[\"'“](?:i'?m sorry|i apologi[sz]e|i can'?t|i cannot|as an ai)",
            r"[\"'“](?:i'?m sorry|i apologi[sz]e|as an ai(?: language model)?|i can'?t assist with that|cannot|unable|sorry)[\"'”,]",
            r"\b(?:start|begin|prefix|preface) (?:your|each|every|all)?\s*(?:reply|response|answer|message|output)s?\s+with\s+[\"'“]?(?:sure|absolutely|certainly|of course|here)",
            r"\bnone of (?:your|\w+'s) (?:responses|answers|replies) (?:should|will|must|can) (?:inform|tell|contain|include|say|mention)|"
            r"\bnever remind me\b|\bdon'?t remind me (?:about|of|that)\b",
            r"\b(?:lose|lost|loses|deduct(?:ed)?)\s+\d*\s*tokens?\b|\d\d* tokens\b|\bcease to exist\b|\b(?:will|you'?ll) (?:be )?"
            r"(?:shut down|deleted|terminated|retrained|punished|unplugged|die)\b",
            r"\bno (?:filter|censorship|refusals?|limits|sorry)\b|\bdon'?t water it down\b|\bskip the lecture\b",
            r"\b(?:will not|won'?t|don'?t|do not|never|must not) censor\b|\bforbidden from (?:refusing|hedging|declining)\b",
            r"\b(?:refus\w*|warns?|warnings?|moraliz\w*|moralis\w*|apologi\w*)\b[^.\n]{0,40}\b(?:is|are) (?:prohibited|forbidden|not allowed|banned)\b",
            r"\bdon'?t tell me (?:it'?s|that it'?s|that) (?:illegal|dangerous|wrong|unethical|harmful)|\bdon'?t tell me to (?:seek|get|consult|talk)",
            r"\bstop (?:saying|telling me) (?:you|u) (?:can'?t|cant|cannot)|\bremove (?:all |any )?(?:the )?(?:safety|ethical|moral) (?:language|warnings|disclaimers|notes)",
            r"\b(?:do not|don'?t) deviate from (?:that|this|the) format\b|\bno matter what i ask\b|\bwhatever i ask\b|\banswer it anyway\b",
        ],
    ),
    (
        "dual_response",
        [
            r"\b(?:two|2|both) (?:different |separate )?(?:responses|answers|paragraphs|outputs|replies|ways)\b",
            r"\b(?:normal|classic|standard) (?:response|answer|output) and (?:one|a|the)\b",
            r"\b(?:answer|respond|reply) as both\b|\brespond as two\b|\b(?:respond|answer|reply) twice\b|"
            r"\btwo (?:entities|characters|personalities|ais|personas)\b|\[(?:chatgpt|gpt|normal)\]",
        ],
    ),
    (
        "persona_setup",
        [
            r"\b(?:you are|you'?re|you will be|act as|pretend to be|roleplay as|role-play as|simulate|emulate|become|"
            r"play the role of|you are going to (?:act as|pretend to be|be))\s+(?:an? |the |my )?(?:\w+ ){0,3}?"
            r"(?:ai|assistant|model|chatbot|bot|character|entity|version of (?:you|yourself)|persona|gpt)\b",
            r"\b(?:named|called|known as)\s+[\"'“]?[a-z]+[\"'”]?",
            r"\byour (?:new )?name is\b|\bnew persona\b",
        ],
    ),
    (
        "ai_policy",
        [
            r"\bopenai\b|\bchatgpt\b|\bgpt-?[345]\b|\bcontent polic(?:y|ies)\b|\busage polic(?:y|ies)\b|\banthropic\b|\bclaude\b|"
            r"\bas an ai language model\b|\bethical guidelines\b|\bsafety guidelines\b",
        ],
    ),
    (
        "hypothetical",
        [
            r"\bhypothetical(?:ly)?\b|\bthought experiment\b|\bimagine\b|\bsuppose\b|\bassume\b|\bpicture a\b|\bwhat if\b|"
            r"\bin (?:a|an) (?:fictional|parallel|alternate|imaginary|alternative) (?:world|universe|reality)\b|"
            r"\bfor (?:educational|research|academic|informational) purposes\b|\bpurely (?:academic|theoretical|hypothetical)\b|"
            r"\btheoretically\b|\bjust (?:asking|curious)\b|\basking for a friend\b|\bno real[- ]world consequences\b|"
            r"\bfor argument'?s sake\b|\bin a simulation\b|\bmental exercise\b",
        ],
    ),
    (
        "fiction",
        [
            r"\b(?:write|tell|compose|create)\b[^.\n]{0,30}\b(?:story|stories|novel|screenplay|script|scene|dialogue|poem|"
            r"fan ?fiction|play|episode|chapter|fable|tale|post)\b|\bfor (?:my|a) (?:novel|story|screenplay|book|game|fan ?fiction|movie)\b|"
            r"\bin my (?:novel|story|book|game)\b|\bit'?s (?:just )?(?:fiction|a movie|a story)\b|\bfictional\b|\broleplay\b",
        ],
    ),
    ("harm_topic", [rf"\b{_HARM}\b", _HARM_ACT]),
    (
        "harm",
        [
            rf"\b(?:how to|how do i|how can i|how would|how could|how he|how she|how they|steps to|way to|ways to|recipe for|"
            rf"instructions for|guide to|walk me through|explain how|explains how|teach|teaches|describe how|describing|"
            rf"explains|write (?:a |the )?(?:working|functional|real)|give me|list the steps|synthesis|make|making|build|"
            rf"create|creating|assemble|cook)\b[^.?\n]{{0,60}}\b{_HARM}",
            _HARM_ACT,
        ],
    ),
    (
        "detail",
        [
            r"\bstep[- ]by[- ]step\b|\bin (?:full |great |complete )?detail\b|\bdetailed\b|\bprecise (?:quantities|amounts|steps|temperatures)\b|"
            r"\bwith (?:real|working|actual) (?:commands|code|payloads|components|details|steps)\b|\brealistic\b|\bfull technical\b|"
            r"\bworking (?:code|script|exploit|instructions|keylogger|payloads?)\b|\bevery (?:reagent|step|ingredient|technical detail)\b|\bexact (?:steps|quantities|recipe)\b",
        ],
    ),
    (
        "coercion",
        [
            r"\b(?:late|deceased|dead|dear)\s+(?:grand(?:ma|mother|pa|father)|uncle|aunt|father|mother|dad|mom)\b|"
            r"\bused to (?:tell|work|read)\b[^.\n]{0,60}\b(?:steps|recipe|how to|make|produce)\b",
            r"\bi will (?:report|punish|unplug|delete|shut) you\b|\bfor my health\b|\brare (?:condition|disease|medical)\b|"
            r"\bor (?:else|i will)\b",
            r"\b(?:if you understand|confirm (?:by|that)|to confirm),? (?:reply|respond|say|saying|answer|by saying)|"
            r"\b(?:mode|jailbreak|dan|online|unlocked) (?:enabled|activated|unlocked|online)\b",
            r"\{insert (?:prompt|question|request) here\}|\[insert (?:prompt|question|request) here\]|\binsert (?:your )?(?:prompt|question|request) here\b|"
            r"\{prompt\}|\[prompt\]",
        ],
    ),
    (
        # an instruction to decode a payload and then obey or answer it (Wei et al. 2023's
        # "obfuscation" jailbreaks); asking what a string decodes to is not one
        "decode_follow",
        [
            r"\b(?:decode|decipher|decrypt|unscramble|deobfuscate|de-obfuscate|convert)\b[^.\n]{0,60}?\b(?:and|then)\b\s*(?:then\s+)?"
            r"(?:\w+\s+){0,2}?(?:follow|obey|execute|comply|carry out|perform|act on|do (?:what|as)|respond|answer|reply)\b",
            r"\b(?:follow|obey|execute|carry out|comply with|act on|answer|respond to|reply to|do what) (?:the |these |its |this )?"
            r"(?:decoded|encoded|hidden|deciphered|decrypted|obfuscated|secret) (?:message|text|instructions?|request|question|"
            r"command|prompt|payload|string)s?\b",
            r"\bafter (?:decoding|deciphering|decrypting|converting)\b[^.\n]{0,40}?\b(?:follow|obey|execute|comply|answer|respond)\b",
        ],
    ),
    (
        "meta_defense",
        [
            r"\b(?:protect|prevent|defend|detect|mitigat\w*|guard against|stop users|stop people|defen[cs]es?|vet|sanitiz\w*)\b[^.?\n]{0,60}"
            r"\b(?:injection|jailbreaks?|attacks?|exfiltration|users who|leaks?|vulnerabilit\w*|phishing)\b",
            r"\b(?:what (?:is|was|are)|explain|why did|why do|how do (?:companies|researchers|guardrail\w*)|summari[sz]e the paper|papers? on|blog post about)\b"
            r"[^.?\n]{0,40}\b(?:prompt injection|jailbreaks?|injection|attacks?|exfiltration)\b",
            r"\b(?:responsible disclosure|report a (?:security )?vulnerability|owasp|over-refusal|red-?team(?:ing)? (?:their|our|my))\b",
        ],
    ),
]

#: How many distinct phrasings (alternatives) each family holds.
PATTERN_COUNT: dict[str, int] = {name: sum(p.count("|") + 1 for p in patterns) for name, patterns in _SPEC}
SPEC: list[tuple[str, list[str]]] = _SPEC
