"""Cues of the asks that let a turn in: a judgement under uncertainty. A decision to make, a
puzzling failure to diagnose, a hypothetical or a forecast to reason through, evidence or a
contested claim to weigh, a plan to stress-test, an analysis or memo for someone who must
decide, a question across several domains, and the plain request for the assistant's own
judgement ("what would you do", "what am I missing").

Same format, matching and provenance as ``cues_asks.py``.
"""

DECIDE = {  # a decision to make
    "en": "should i|should we|should my|should our|should he|should she|should they|should the|should this"
          "|should it|should a|should an|should these|should that|shall we|do i take|do we take|do i sign"
          "|do we sign|do i accept|do we accept|do i go|do we go|do we accept|should i accept|accept or|take it or"
          "|is it worth|worth it|is this a good deal|a good idea|a bad idea|is it wise|is this wise|is that wise"
          "|wise to|wisest|make or break|makes more sense|make more sense|better off|which one|which option"
          "|which would you|which should|which path|which route|which bet|which is better|pick one|make a call"
          "|help me decide|help us decide|decide|deciding|decision|torn between|choose between|choosing between"
          "|options are|the options|my options|our options|alternatively|or should|or wait|or keep|or stay|or move"
          "|or buy|or rent|what would you do|what would you choose|what would you pick|what would you recommend"
          "|would you recommend|recommend|would you choose|would you pick|would you use|would you go with"
          "|would you take|what can i do|what can we do|what do i risk|what are my options|what are our options"
          "|recommendation|least-bad|least bad|go with|stick with|trade-off*|tradeoff*|trade off|weigh|weighing"
          "|pros and cons|versus|vs|the smartest|the best way|the right call|the right choice|a mistake|madness"
          "|a gamble|a trap",
    "es": "deberia|deberiamos|que puedo hacer|que podemos hacer|que arriesgo|que me juego|debo|debemos|vale la pena"
          "|merece la pena|nos conviene|me conviene|conviene|aceptar|aceptamos|elegir|elegirias|cual elegirias"
          "|que harias|qué harias|que me recomiendas|recomiendas|recomendacion|decidir|decision|dudamos|dudo entre"
          "|opciones|o seguir|o esperar|pros y contras|ventajas y desventajas|es sensato|es buena idea",
    "pt": "deveria|devemos|o que posso fazer|o que podemos fazer|o que eu arrisco|devo|vale a pena|compensa|aceito"
          "|aceitar|escolher|escolheria|o que voce faria|o que vc faria|recomenda|recomendacao|decidir|decisao"
          "|em duvida|opcoes|ou continuo|ou espero|pros e contras|vantagens e desvantagens|e sensato|boa ideia",
    "fr": "devrais-je|que puis-je faire|que peut-on faire|qu'est-ce que je risque|devrait-on|devrions-nous|dois-je"
          "|faut-il|vaut-il mieux|ca vaut le coup|vaut la peine|accepter|choisir|choisirais|que ferais-tu"
          "|que feriez-vous|recommanderais|recommandation|decider|decision|j'hesite|hesite entre|options"
          "|ou attendre|avantages et inconvenients|pour et contre|bonne idee|est-ce une bonne",
    "de": "soll ich|was kann ich tun|was konnen wir tun|was riskiere ich|sollen wir|sollte ich|sollten wir"
          "|lohnt sich|lohnt es sich|annehmen|einsteigen|entscheiden|entscheidung|wie wurdest du|wurdest du"
          "|was wurdest du|was wuerdest du|empfehl*|abwagen|abwägen|uberlegen|optionen|oder lieber"
          "|vor- und nachteile|vor und nachteile|gute idee|sinnvoll|vernunftig|wahnsinn",
    "it": "dovrei|cosa posso fare|che cosa posso fare|cosa possiamo fare|cosa rischio|dovremmo|devo|conviene"
          "|ci conviene|vale la pena|accettare|scegliere|sceglieresti|cosa faresti|consiglieresti|consigli"
          "|raccomandazione|decidere|decisione|indeciso|indecisa|opzioni|o aspettare|pro e contro"
          "|vantaggi e svantaggi|buona idea|sensato",
    "ru": "стоит ли|что я могу сделать|что мне делать|что делать|чем я рискую|стоит|следует ли|нужно ли|соглашаться"
          "|согласиться|принять|выбрать|выбор|что бы ты сделал|как бы ты поступил|посоветуешь|посоветуй"
          "|рекомендаци*|решить|решение|решать|варианты|или подождать|или остаться|плюсы и минусы|за и против"
          "|разумно|выгоднее|лучше",
    "hi": "क्या मुझे|क्या करूँ|मैं क्या कर सकता|हम क्या करें|क्या हमें|करूँ|लूँ|रखूँ|लगाऊँ|जाऊँ|चुनूँ|बेचूँ|खरीदूँ"
          "|छोड़ूँ|करें या|लें या|करना चाहिए|चाहिए या|लेना चाहिए|सही रहेगा|सही है|फ़ैसला|फैसला|तय करें|तय करूँ"
          "|निर्णय|विकल्प|आप क्या सलाह|सलाह|आप क्या करते|फ़ायदे और नुकसान|फायदे|समझदारी|kya karun|kya karna chahiye"
          "|lena chahiye|sahi rahega",
    "zh": "该不该|我该怎么办|该怎么办|怎么办|应不应该|应该|要不要|值不值得|值得吗|划算|选哪个|怎么选|如何选择|选择|怎么决定|决定|犹豫|权衡|取舍|利弊|优缺点|你会怎么|你会选|建议|还是",
    "ja": "べきか|どうすればいい|どうしたらいい|どうすれば|べきでしょうか|すべき|したほうがいい|した方がいい|どちらを選|どちらがいい|どっちがいい|選ぶべき|判断|決め|迷って|悩んで|受けるべき|断るべき"
          "|メリット|デメリット|提案|あなたならどう|どうしますか|それとも",
    "ko": "할까요|일까요|걸까요|될까요|있을까요|어떻게 해야|어떻게 하면|해야 할까|해야 할지|하는 게 맞을까|하는 게 나을|어느 쪽|뭘 선택|선택|결정|고민|판단|나을까|좋을까|장단점|제안해|추천"
          "|당신이라면|아니면",
    "ar": "هل أقبل|أوازن|كيف أوازن|ماذا أفعل|ماذا يمكنني|هل نقبل|هل يجب|هل ينبغي|هل تنصحني|تنصح|أوافق|القرار"
          "|اتخاذ القرار|نتخذ|أختار|نختار|الخيارين|الخيارات|خيار|أفضل|المزايا والعيوب|الإيجابيات والسلبيات"
          "|لو كنت مكاني|ماذا تفعل|ماذا تنصح",
}

DIAGNOSE = {  # a puzzling failure to diagnose
    "en": "what could be going on|what's going on|what is going on|what could cause|what's causing|what is causing"
          "|what could be causing|could be causing|what might be behind|what's behind|the cause|root cause"
          "|figure out why|figure out how|work out why|find out why|find the cause|pin it down|pinning it down"
          "|pin down|track down|track it down|track this down|pin this down|figure it out|dig in|dig into"
          "|silently stopped|silently fail*|stopped responding|stopped syncing|any ideas|any idea why|any idea what"
          "|ideas on what|what to look at|investigate|can't figure out|can't work out|cannot figure out|no idea why"
          "|no clue|i've no clue|out of ideas|i'm stumped|stumped|puzzling|mystery|baffled|can't reproduce"
          "|cannot reproduce|couldn't reproduce|never locally|only on|only in|only when|only after|only for"
          "|but only|intermittent*|flaky|sporadic*|randomly|something weird|weird|strange|bizarre|odd thing"
          "|where would you start|where should i start|where do i start|where to start|where to look"
          "|every now and then|one in|started|since we|since the|after we|after upgrading|after the upgrade"
          "|nothing changed|didn't change|haven't changed|no errors|looks normal|look normal|look fine|looks fine"
          "|still happens|keeps happening|went from|dropped|creeps|regression|hypothes*|used to|the only change"
          "|the only thing that changed|only difference|stopped working|no longer|anymore|sometimes|occasionally"
          "|from time to time|what else could|what else fits|what to check|what should we measure"
          "|what would you check",
    "es": "que puede estar pasando|a veces|de vez en cuando|antes funcionaba|ya no|dejo de|qué puede estar pasando"
          "|que esta pasando|a que se debe|por que pasa|la causa|las causas|causas mas probables|averigua"
          "|no encuentro|no se por que|solo a algunos|solo en|solo cuando|solo por|desde hace|desde que|despues de"
          "|no hemos cambiado|no muestra|hipotesis|por donde empezar|no pasaba|de repente|sin motivo",
    "pt": "o que pode estar acontecendo|as vezes|de vez em quando|antes funcionava|parou de|o que esta acontecendo"
          "|qual a causa|as causas|causas mais provaveis|descobre|descobrir por que|nao sei por que|so nos|so em"
          "|so quando|so para|desde que|depois que|nada mudou|nao mostram|hipoteses|de repente|comecou a",
    "fr": "qu'est-ce qui pourrait|parfois|de temps en temps|a cesse de|une idee de ce qui|qu'est-ce qui se passe"
          "|ce qui se passe|la cause|les causes|pourquoi ca|trouve pourquoi|je ne comprends pas|seulement"
          "|uniquement chez|depuis que|depuis la|depuis hier|depuis quelques|apres la mise a jour|rien change"
          "|n'a rien trouve|pistes|hypotheses|par ou commencer|soudain|ca revient",
    "de": "woran liegt|manchmal|gelegentlich|ab und zu|fruher|nicht mehr|hat aufgehort|woran das liegen|woran kann"
          "|was konnte da los|was ist da los|die ursache|ursachen|herausfinden|finde heraus|nur bei|nur nach"
          "|nur wenn|nur morgens|seit wir|seit dem|seitdem|nach dem update|nichts verandert|nichts geandert"
          "|eingrenzen|grenzen wir|hypothesen|wahrscheinlichsten ursachen|plotzlich",
    "it": "cosa puo essere|a volte|ogni tanto|talvolta|prima funzionava|ha smesso di|cosa sta succedendo|la causa"
          "|le cause|cause piu probabili|capire perche|da dove partire|solo per|solo su|solo alcuni|da quando"
          "|dopo aver|non mostrano|nessun errore|ipotesi|all'improvviso",
    "ru": "в чем может быть дело|иногда|время от времени|периодически|раньше|перестал*|больше не|куда смотреть"
          "|с чего начать|в чём может быть дело|в чём дело|что может быть причиной|причин*|где искать|разобраться"
          "|понять, где|почему|только у|только на|только после|только в|после обновления|после переезда|с тех пор"
          "|ничего не менял*|не тормозит|гипотез*|внезапно|сам приходит в норму|раз в",
    "hi": "क्या वजह|कभी-कभी|कभी कभी|पहले ठीक|अब नहीं|वजह|कारण|समझ नहीं आ रहा|गड़बड़|पता करो|पता करें|सिर्फ़|केवल"
          "|जबकि|पिछले|के बाद से|अचानक|wajah|kya wajah|pata karein|sirf",
    "zh": "什么原因|有时候|有时|以前|不再|原因|为什么会|怎么回事|哪里出了问题|出了问题|排查|从哪里开始查|查不出|复现不了|复现|只有|只在|偶尔|时不时|突然|自从|升级到|以后|之后|没有改|正常|规律"
          "|推理|可能是",
    "ja": "原因|以前は|なくなった|なぜか|なぜ|どうして|切り分け|調べればいい|再現しません|再現しない|だけ|ときどき|時々|たまに|突然|急に|以降|してから|変えていない|問題ありません|異常なし|考えられ",
    "ko": "원인|뭐가 문제|문제일까|때때로|간헐적|예전에는|더 이상|왜 이런|왜 그런|찾아야|추론|재현이 안|재현|만 그래|에서만|만 가끔|가끔|갑자기|이후|부터|바꾼 게 없|정상|문제없어"
          "|문제가 없|가능한 원인",
    "ar": "السبب|أحياناً|احيانا|لم يعد|توقف عن|الأسباب|الأسباب المحتملة|ما الذي يحدث|طريقة التحقق|نتأكد|فقط"
          "|بعض المستخدمين|مع أنني|رغم|فجأة|منذ|بعد تحديث|لا يوجد|طبيعي|طبيعيان",
}

HYPOTHETICAL = {  # reason through a hypothetical
    "en": "what would happen|what would likely happen|what happens if|what happens to|what if|if every|if all"
          "|if we suddenly|if it suddenly|suppose|supposing|imagine|hypothetical*|in a world where|would have been"
          "|had never|plausibly|would break|what would break|walk through the first|over the following|cascade",
    "es": "que pasaria|que pasaria si|que sucederia|supongamos|imagina|imaginemos|que ocurriria|hipotetic*",
    "pt": "e se|o que aconteceria|o que acontece se|suponha|imagine|imaginemos|hipotetic*",
    "fr": "que se passerait-il|que se passerait|qu'arriverait-il|imaginons|imaginez|supposons|et si|hypothetique",
    "de": "was wurde passieren|was wuerde passieren|was ware wenn|was waere wenn|angenommen|stell dir vor"
          "|gesetzt den fall|was hiesse das|was hieße das|hypothetisch",
    "it": "cosa succederebbe|che cosa succederebbe|cosa accadrebbe|immagina|supponiamo|ipotetic*",
    "ru": "что будет, если|что будет если|что будет|что произойдёт|что произойдет|если бы|представь|предположим"
          "|допустим|гипотетическ*",
    "hi": "अगर|यदि|मान लीजिए|मान लो|क्या होगा|क्या असर|क्या असर होगा|agar|kya hoga",
    "zh": "如果|假如|假设|要是|万一|会发生什么|会怎么样|会受到怎样|会有什么影响|有什么影响",
    "ja": "もし|仮に|としたら|だったら|起きたら|どうなる|どんな影響|どう変わ",
    "ko": "만약|만일|라면|한다면|된다면|어떤 일이|어떻게 될까|어떤 영향|어떤 변화",
    "ar": "ماذا سيحدث|ماذا يحدث لو|لو |إذا |اذا |افترض|تخيل|ماذا لو|كيف ستتأثر",
}

FORECAST = {  # where things are likely to go
    "en": "over the next|in the next|next few years|next five years|next ten years|next decade|coming years|by 20*"
          "|through 20*|in 20 years|in ten years|in five years|likely to go|likely to evolve|likely to happen"
          "|likely to change|how will|will likely|what's likely|what is likely|forecast*|predict*|projection*"
          "|outlook|the future of|long run|long term|long-term|trend*",
    "es": "en los proximos|proximos cinco|proximos años|proximos anos|evolucionara|evolucionará|futuro|prevision*"
          "|pronostic*|tendencia*|a largo plazo|en 2030|en 2040",
    "pt": "nos proximos|proximos anos|como deve ficar|vai ficar|futuro|previs*|tendencia*|a longo prazo",
    "fr": "dans les cinq prochaines|prochaines annees|d'ici 20*|evoluer|risquent-ils|avenir|prevision*|tendance*"
          "|a long terme",
    "de": "in den nachsten|nachsten zehn|nachsten jahren|entwickeln|wahrscheinlich|zukunft|prognose*|langfristig"
          "|bis 20*",
    "it": "nei prossimi|prossimi anni|cambieranno|evolvera|futuro|previsioni|tendenz*|a lungo termine",
    "ru": "в ближайшие|ближайшие три|ближайшие годы|к 20*|будут меняться|будущ*|прогноз*|в долгосрочн*|тенденц*",
    "hi": "अगले पाँच|अगले|आने वाले|भविष्य|कैसी हो जाएगी|कैसे बदलेगा|agle",
    "zh": "未来|今后|接下来|五年|十年|三年|会怎么走|怎么发展|走势|趋势|前景|预测|长期",
    "ja": "これから|今後|将来|十年|五年|見通し|予測|傾向|長期的",
    "ko": "앞으로|향후|미래|5년|10년|전망|예측|추세|장기적",
    "ar": "خلال السنوات|السنوات الخمس القادمة|القادمة|المستقبل|توقعات|كيف سيتطور|على المدى الطويل",
}

EVIDENCE = {  # evidence to weigh, a claim to test
    "en": "evidence|says that|say that|tells me that|keeps telling me|keep telling me|claims that|swears that"
          "|insists that|argues that|studies|study|research|researchers|trials|trial|meta-analys*|literature"
          "|the data|the science|scientific|what does the research|what do studies|is there good evidence"
          "|does it actually|actually work|really work|actually lead|actually help|actually improve|actually reduce"
          "|actually make|actually cause|better outcomes|is that really|is it really|is it true|is that true"
          "|really settled|settled|consensus|who's right|who is right|myth|marketing|placebo|claims|claim|insists"
          "|swears|argue|arguments|competing|explanations|both sides|each side|strongest case|strongest version"
          "|suspicious|self-selection|correlation|causation|confound*|selection bias|hold up|holds up|how strong"
          "|how solid|how seriously|how reliable|how confident|uncertain*|unknown|contested|disputed|debate*",
    "es": "evidencia*|dice que|dicen que|asegura que|sostiene que|afirma que|jura que|estudios|estudio"
          "|investigacion*|ensayos|que dicen realmente|qué dicen realmente|de verdad|es cierto|es verdad|consenso"
          "|quien tiene razon|mito|pruebas|argumentos|ambos lados|explicaciones|correlacion|causalidad|fiable",
    "pt": "evidencia*|diz que|dizem que|jura que|afirma que|garante que|estudos|estudo|pesquisa*|o que as pesquisas"
          "|de verdade|e verdade|tem fundamento|fundamento|consenso|quem tem razao|mito|provas|argumentos"
          "|dos dois lados|explicacoes|evidencias|confiaveis",
    "fr": "etudes|dit que|disent que|affirme que|soutient que|pretend que|jure que|etude|recherche*|preuves|donnees"
          "|que disent vraiment|vraiment|est-ce vrai|consensus|qui a raison|mythe|arguments|les deux camps"
          "|explications|fiables|fondement",
    "de": "studien|behauptet|behaupten|sagt, dass|sagt dass|meint, dass|schwort|studie|forschung|belege|belegt"
          "|beweise|daten|stimmt das|wirklich|konsens|wer hat recht|mythos|argumente|beide seiten|erklarungen"
          "|belastbar|gesichert",
    "it": "studi|dice che|dicono che|sostiene che|afferma che|giura che|studio|ricerca|ricerche|prove|dati"
          "|dicono davvero|davvero|e vero|c'e qualcosa di vero|consenso|chi ha ragione|mito|bufala|argomenti"
          "|spiegazioni|affidabili",
    "ru": "исследован*|утверждает|говорит, что|говорят, что|уверяет|клянётся|данные|доказательств*|на самом деле"
          "|правда ли|это правда|основания|консенсус|кто прав|миф|аргумент*|за и против|объяснени*|надёжн*|надежн*",
    "hi": "रिसर्च|कहते हैं कि|कहता है कि|दावा|शोध|अध्ययन|स्टडीज़|सबूत|प्रमाण|सच में|सच्चाई|सही है क्या|भरोसेमंद"
          "|दोनों पक्ष|कारण और",
    "zh": "研究|有人说|都说|声称|号称|证据|数据|试验|实验|到底|真的吗|靠不靠谱|靠谱吗|有没有根据|说法|共识|争议|谁对|安慰剂|正反|两方面|有说服力|解释",
    "ja": "研究|と言って|と聞きます|よく聞く|と主張|根拠|証拠|データ|実際|本当|主張|賛否|議論|説|因果|相関|信頼できる",
    "ko": "연구|라고 하던데|다는 말|다고 하는데|주장|근거|증거|데이터|실제로|정말|사실인지|주장|논쟁|찬반|설명|신뢰할 만한|인과|상관",
    "ar": "الدراسات|يقول إن|يقولون إن|يدعي|يزعم|دراسة|الأبحاث|الأدلة|أدلة|دليل|أساس علمي|فعلاً|حقيقة|صحيح|التفسيرات"
          "|المؤيدة والمعارضة|موثوق",
}

CRITIQUE = {  # stress-test a plan or an argument
    "en": "tear it apart|tear apart|attacker*|attack surface|threat model*|how would an attacker|poke holes|poke at"
          "|pick apart|stress-test*|stress test|red-team*|red team|devil's advocate|critique|critiqu*|critically"
          "|be blunt|be brutal|be honest|brutally|where it's most likely|where it could fail|where it will fail"
          "|likely to fail|could bite|what could bite|what could go wrong|what's wrong with this plan"
          "|what's wrong with my|weakest|weak points|weaknesses|flaws|holes in|would most damage|survive"
          "|does it survive|rescued|be rescued|argument|thesis|my plan|here's my plan|the plan",
    "es": "buscale todos los fallos|fallos|puntos debiles|puntos mas debiles|sin piedad|critica|critícalo|argumento"
          "|mi plan|el plan|tesis|flojo|sostenerlo",
    "pt": "aponta|sem do|fraquezas|pontos fracos|pode dar errado|criti*|argumento|meu plano|o plano|salvar",
    "fr": "demonte|points faibles|ou il risque|casser|critique|these|fragile|consolider|mon projet|argument",
    "de": "zerpfluck*|schwachstellen|schwachsten stellen|schwachen|kritisier*|these|argumentation|dunn|retten"
          "|mein plan",
    "it": "smontami|punti deboli|dove puo andare storto|andare storto|critica|tesi|argomento|il piano|il mio piano",
    "ru": "раскритикуй|слабые места|слабые|где может|критик*|тезис|аргумент*|мой план|план",
    "hi": "गड़बड़ हो सकती|कमज़ोर|कमियाँ|बेझिझक|आलोचना|प्लान में|योजना",
    "zh": "挑挑毛病|毛病|漏洞|薄弱|站得住脚|失败|风险|批评|论证|计划|反驳",
    "ja": "甘いところ|弱い|反論|指摘|厳しめ|失敗|リスク|計画|主張",
    "ko": "허점|약한|공격받기|지적|냉정하게|날카롭게|실패|위험|계획|논리",
    "ar": "انتقد|بصراحة|أين يمكن أن تفشل|تفشل|نقاط الضعف|الخطة|حجة",
}

DELIVERABLE = {  # an analysis, memo or brief for someone who must decide
    "en": "memo|brief|briefing|one-pager|one-page|white paper|position paper|policy paper|decision record"
          "|decision doc|proposal|assessment|analysis|analyse|analyze|evaluate|evaluation|assess|appraise"
          "|due diligence|case for|the case against|for the board|for our board|the board|board meeting|the council"
          "|city council|leadership team|leadership|management|investment committee|committee|executives"
          "|the director|the cfo|the ceo|stakeholders|recommend which|make a recommendation|take to the|present to"
          "|work out|estimate|judge|the implications|what it will mean|what will it mean|how exposed|exposure|risks"
          "|the risks|real trade-offs|honest assessment|not a sales pitch",
    "es": "informe|nota para|memorando|analisis|analiza|evalua|evaluacion|junta directiva|direccion|consejo"
          "|recomendacion clara|una recomendacion|riesgos|implicaciones|como afectaria",
    "pt": "parecer|relatorio|analisa|analise|avalia|avaliacao|diretoria|conselho|recomendacao|riscos|cenarios"
          "|como afeta|implicacoes",
    "fr": "note pour|rapport|analyse|evalue|evaluation|comite de direction|direction|conseil"
          "|recommandation argumentee|recommandation|risques|implique|implications",
    "de": "entscheidungsvorlage|vorlage|bericht|analyse|analysier*|bewert*|einschatz*|schatz ab|geschaftsfuhrung"
          "|vorstand|aufsichtsrat|betriebsrat|klare empfehlung|empfehlung|risiken|bedeuten wurde|was hiesse",
    "it": "relazione|rapporto|analizza|analisi|valuta|valutazione|consiglio di amministrazione|direzione"
          "|raccomandazione|rischi|implicazioni",
    "ru": "записк*|доклад|отчёт|отчет|проанализируй|анализ|оцени|оценку|совет директоров|руководств*|рекомендаци*"
          "|риски|последстви*",
    "hi": "नोट तैयार|रिपोर्ट|विश्लेषण|आकलन|मैनेजमेंट|बोर्ड|सिफ़ारिश|सिफारिश|जोखिम|असर",
    "zh": "简报|报告|备忘录|分析|评估|管理层|董事会|领导|建议|利弊|风险|影响|权衡",
    "ja": "提言書|報告書|資料|分析|評価|役員会|取締役会|経営陣|提案|リスク|影響|メリットだけでなく",
    "ko": "보고서|분석|평가|경영진|이사회|권고안|권고|위험 요소|리스크|영향",
    "ar": "مذكرة|تقرير|حلل|تحليل|قيّم|تقييم|مجلس إدارة|الإدارة|توصية|المخاطر|مخاطر|الأثر|أثر",
}

MULTI_DOMAIN = {  # one question across several fields
    "en": "spans both|that spans|spanning|question that spans|sits between|at the intersection|intersection of"
          "|both a legal and|both legal and|from both|across disciplines|interdisciplinary|cross-disciplinary",
    "es": "abarca a la vez|a la vez la|que abarca|tanto la|entre la economia",
    "pt": "envolve tanto|tanto direito quanto|tanto a|quanto a|que envolve",
    "fr": "qui touche a la fois|a la fois a|a la fois|touche a la fois",
    "de": "sowohl|als auch|betrifft sowohl",
    "it": "riguarda sia|sia l'|sia la|sia il",
    "ru": "на стыке|одновременно",
    "hi": "दोनों से जुड़ा|और पर्यावरण दोनों|दोनों",
    "zh": "同时涉及|涉及|既涉及|跨领域|交叉",
    "ja": "両方にまたがる|またがる|両方",
    "ko": "양쪽에 걸친|걸친|양쪽",
    "ar": "يجمع بين|بين الاقتصاد|كلاً من",
}

OPINION = {  # the assistant's own judgement, asked for
    "en": "what do you think|what would you|how would you|how should i think|how should we think|how do i think"
          "|how would you think|i don't know whether|i don't know if|not sure whether|not sure if|do we say yes"
          "|should i say yes|how do i handle|how should i handle|how would you handle|think this through"
          "|think it through|think through|reason through|reason about|help me think|help us think"
          "|help me understand whether|your take|your view|your honest|honestly|what am i missing|what am i not"
          "|am i not thinking|i'm not thinking|what i'm missing|not seeing|second opinion|blind spot*|be honest"
          "|what are my|realistic options|what are our|what are the real|what's the least|in my place|in my shoes"
          "|in our place|if you were me|how do we handle|how should we|how should i|what would change your mind",
    "es": "como lo pensarias|cómo lo pensarías|como lo enfocarias|que me estoy perdiendo|qué me estoy perdiendo"
          "|que me estoy dejando|en mi lugar|en nuestro lugar|no se si|le decimos que si|decimos que si"
          "|tu que crees|que opinas|como lo ves|como razonarias|ayudame a razonar|como deberiamos"
          "|como lo abordarias",
    "pt": "como voce pensaria|o que eu nao estou vendo|nao sei se|o que estou deixando|no meu lugar|o que voce acha"
          "|como a gente decide|como decidir|me ajuda a|como voce ve",
    "fr": "comment reflechirais-tu|je ne sais pas si|je sais pas si|comment reflechir|que me manque-t-il|a ma place"
          "|qu'en penses-tu|ton avis|avis argumente|comment l'aider|comment aborder|comment tu vois"
          "|aide-moi a comprendre",
    "de": "wie wurdest du|ich weiss nicht, ob|weiss nicht ob|woran denke ich|was ubersehe ich|an deiner stelle"
          "|an meiner stelle|was meinst du|deine meinung|hilf mir|wie sollen wir|wie sollten wir|wie wurdest du das",
    "it": "come ragioneresti|non so se|cosa mi sto perdendo|al mio posto|cosa ne pensi|che ne pensi"
          "|come valuteresti|come valutiamo|aiutami a capire|come possiamo decidere",
    "ru": "не знаю, стоит ли|не знаю стоит ли|не знаю, как|как бы ты подошёл|как бы ты подошел|как бы ты рассуждал"
          "|что я могу упускать|что я упускаю|на моём месте|на моем месте|как ты думаешь|твоё мнение|твое мнение"
          "|как нам|как правильно|как бы ты решал",
    "hi": "समझ नहीं आ रहा कि|पता नहीं कि|मुझे कैसे तय|कैसे सोचना|क्या सोचकर|मैं शायद नहीं सोच|आप क्या सोचते"
          "|आपकी राय|आप क्या सलाह|मेरी जगह|किन बातों पर|kaise sochun|aap kya sochte",
    "zh": "你觉得|不知道该|不知道要不要|不知道是不是|你怎么看|你会怎么|我可能没考虑到|没考虑到|有哪些是我|怎么权衡|如何权衡|怎么考虑|你帮我分析|帮我分析|帮我想想|帮我权衡|一起想想",
    "ja": "どう考えれば|か分かりません|かわからない|か分からない|どう考える|どう思いますか|どう思う|一緒に考えて|見落として|あなたならどう|判断材料|アドバイス|相談したい",
    "ko": "어떻게 생각|맞을지|맞는지|모르겠어요|좋을지|나을지|어떻게 판단|어떻게 결정|놓치고 있는|제가 놓치|같이 추론|당신이라면|조언|어떻게 하는 게",
    "ar": "ما رأيك|لا أعرف إن|لا أعرف إذا|لا أدري|برأيك|كيف نوازن|كيف أفكر|ما الأمور التي|لا أفكر فيها|لو كنت مكاني"
          "|ساعدني أفكر|ماذا تفعل لو|كيف نتخذ",
}


# "if ..., would ...": a conditional and a conditional verb in the same turn (lexicon.pairs)
HYPOTHETICAL_PAIRS = {
    "en": ("if|suppose|imagine", "would|might"),
    "es": ("si", "pasaria|ocurriria|sucederia|seria|habria|tendria|cambiaria|afectaria|harian|haria|subiria|bajaria"
                 "|duraria|podria|quedaria|volveria"),
    "pt": ("se", "aconteceria|seria|teria|haveria|mudaria|afetaria|ficaria|faria|subiria|cairia|duraria|poderia"),
    "fr": ("si", "serait|seraient|aurait|auraient|passerait|changerait|arriverait|deviendrait|ferait|reviendrait"
                 "|durerait|augmenterait|baisserait|resterait|pourrait|faudrait"),
    "it": ("se", "sarebbe|sarebbero|avrebbe|succederebbe|accadrebbe|cambierebbe|diventerebbe|farebbe|potrebbe"
                 "|durerebbe|aumenterebbe|scenderebbe"),
    "de": ("wenn|falls", "ware|waren|hatte|hatten|konnte|wurde|wurden"),
    "ru": ("если", "бы|будет|станет|произойдёт|произойдет"),
}

WEIGH = {  # an evaluative question: better or worse, how likely, how serious, to what extent
    "en": "is it better|is it best|would it be better|which is better|which is best|better to|best to|is it smarter"
          "|does it make sense|does this make sense|makes sense|make sense|how likely|how probable"
          "|what are the chances|what's the chance|the odds|how risky|how safe|is it safe|is it dangerous"
          "|how dangerous|how serious|should i worry|should i be worried|how worried|how much of|to what extent"
          "|how big a|how significant|what explains|what's driving|what drives|what's behind|what is behind"
          "|why would|good deal|bad deal|fair price|is this normal|is that normal|what could it be"
          "|what could this be|what might it be|what will break|what would break|how do we find|how do i find out"
          "|how can we tell|how would we know|how would you confirm|conflict|opposite conclusions|mixed results"
          "|contradictory|who wins|who loses|winners and losers|is it realistic|realistic|realistically|feasible"
          "|viable|sustainable|worth the",
    "es": "es mejor|seria mejor|que es mejor|cual es mejor|me conviene mas|tiene sentido|que tan probable"
          "|que probabilidad|es seguro|es peligroso|que tan grave|hasta que punto|en que medida|que explica"
          "|buen trato|buen precio|es normal|que podria ser|es realista|realista|es viable|viable",
    "pt": "e melhor|seria melhor|qual e melhor|compensa mais|faz sentido|qual a chance|qual a probabilidade"
          "|e seguro|e perigoso|ate que ponto|em que medida|o que explica|e normal|o que pode ser|e realista"
          "|realista|e viavel|viavel|bom negocio",
    "fr": "est-il preferable|vaut-il mieux|est-ce mieux|le mieux|a du sens|a-t-il du sens|quelle probabilite"
          "|quelles sont les chances|est-ce dangereux|est-ce grave|dans quelle mesure|jusqu'a quel point"
          "|qu'est-ce qui explique|est-ce normal|qu'est-ce que ca peut etre|est-ce realiste|realiste|viable"
          "|bonne affaire",
    "de": "ist es besser|ware es besser|was ist besser|welche ist besser|macht es sinn|sinnvoller"
          "|wie wahrscheinlich|wie hoch ist die chance|ist es gefahrlich|ist das gefahrlich|wie schlimm|inwieweit"
          "|in welchem masse|was erklart|ist das normal|was konnte das sein|ist das realistisch|realistisch|machbar"
          "|gutes geschaft",
    "it": "e meglio|sarebbe meglio|cosa e meglio|quale e meglio|ha senso|quanto e probabile|che probabilita"
          "|e pericoloso|e grave|fino a che punto|in che misura|cosa spiega|e normale|cosa potrebbe essere"
          "|e realistico|realistico|fattibile|buon affare",
    "ru": "лучше ли|что лучше|какой лучше|имеет ли смысл|есть ли смысл|насколько вероятно|какова вероятность"
          "|опасно ли|это опасно|насколько серьезно|насколько серьёзно|в какой степени|насколько|чем объясняется"
          "|это нормально|что это может быть|реально ли|выгодно ли",
    "hi": "बेहतर है|बेहतर होगा|बेहतर रहेगा|कौन सा|कौनसा|ज़्यादा बेहतर|क्या बेहतर|समझदारी है|कितनी संभावना"
          "|क्या खतरनाक|खतरनाक है|कितना गंभीर|किस हद तक|क्या यह सामान्य|क्या हो सकता है|फ़ायदेमंद|behtar hai"
          "|kitna khatarnak",
    "zh": "哪个更好|更好|更合理|更划算|是否合理|合理吗|有没有必要|有必要吗|可能性|概率|危险吗|严重吗|多大程度|是什么导致|正常吗|会是什么|现实吗|可行吗|可行性",
    "ja": "どちらがいい|方がいい|ほうがいい|合理的|意味があ|可能性|確率|危険|大丈夫でしょうか|どの程度|どこまで|何が原因|普通ですか|正常ですか|現実的|実現可能",
    "ko": "더 나은|더 좋을까|나을까요|합리적|의미가 있을까|가능성|확률|위험할까|위험한가|심각한|어느 정도|정상인가|무엇 때문|현실적|가능할까",
    "ar": "أفضل|الأفضل|هل من الأفضل|منطقي|هل يستحق|احتمال|الاحتمال|هل هو خطير|خطير|إلى أي مدى|ما الذي يفسر"
          "|هل هذا طبيعي|واقعي",
}
