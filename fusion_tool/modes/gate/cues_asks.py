"""Cues of the asks that keep a turn out: tactical (a transformation of material the user
supplied, a lookup, a specified piece of code, a chore) and plain (a creative piece, a settled
explanation, a recipe, role-play, casual chat).

One "|"-list per family and language, written from the languages' ordinary vocabulary for
each kind of ask (imperatives, polite forms, the usual nouns), then widened where the train and
validation splits or extra probe prompts showed a gap (never from the test split).
Matching (``lexicon.py``): in scripts written with spaces a cue starts at a word's start and
ends at a word's end unless it ends with ``*``; case and Latin accents are ignored, Arabic words
lose their proclitics first. In Chinese, Japanese and Korean a cue matches anywhere.
"""

TRANSFORM = {  # transform the material I gave you, by kind (the reason names the kind)
    "translate": {
        "en": "translat*",
        "es": "traduce|traduceme|traducelo|traducela|traduzca|traducir|traduccion",
        "pt": "traduz|traduza|traduzir|traduzi|traducao",
        "fr": "traduis|traduisez|traduire|traduction",
        "de": "ubersetz*|uebersetz*",
        "it": "traduci|traducimi|tradurre|traduzione",
        "ru": "переведи|переведите|перевести|перевод",
        "hi": "अनुवाद|ट्रांसलेट|translate kar*",
        "zh": "翻译|翻成|译成|译为|翻譯|譯成",
        "ja": "翻訳|訳して|訳してください|英訳|和訳|訳す",
        "ko": "번역|옮겨",
        "ar": "ترجم|ترجمة",
    },
    "summarise": {
        "en": "summarise|summarize|summarising|summarizing|sum up|sum it up|tldr|tl;dr|condense*|the gist"
              "|in plain words|in plain english|in plain language",
        "es": "resume|resumeme|resumelo|resumir|resumen|sintetiza*|en tres puntos|en dos frases|en una frase",
        "pt": "resume|resuma|resumir|resumo|em tres frases|em uma frase",
        "fr": "resume|resumez|resumer|en trois phrases|en deux phrases|en une phrase",
        "de": "fasse|fass mir|fass bitte|fasst|zusammenfass*|zusammenfassung|kurz zusammen|kurz fassen"
              "|in zwei satzen|in drei satzen|in einem satz",
        "it": "riassumi*|sintetizza*|in tre punti|riassunto|in una frase",
        "ru": "перескажи|резюмируй*|резюме|в трёх пунктах|в трех пунктах|в двух словах|в одном предложении"
              "|пересказать",
        "hi": "सारांश|संक्षेप|समरी|पॉइंट में|बिंदुओं में",
        "zh": "总结|總結|概括|归纳|摘要|要点",
        "ja": "要約|まとめて|まとめてください|三行で|一文で",
        "ko": "요약|세 줄로|두 문장|한 문장|핵심만|정리해",
        "ar": "لخص|لخّص|تلخيص|ملخص|في ثلاث نقاط|في نقاط|نقاط",
    },
    "proofread": {
        "en": "proofread*|spellcheck*|spell-check*|spell check|check it for typos|check for typos|check the grammar"
              "|fix the grammar|fix the typos|fix typos|fix the spelling|typos|grammar",
        "es": "corrige|corrigeme|ortografia|corregir",
        "pt": "corrige|corrigir|ortografia|corrija|revisa|revisar",
        "fr": "corrige|corrigez|corriger|orthographe",
        "de": "korrigier*|rechtschreibung|grammatik|kommas",
        "it": "correggi*|ortografia|correggere",
        "ru": "исправь|исправьте|исправить|проверь орфографию|орфограф*|пунктуац*",
        "hi": "सुधार*|वर्तनी|sudhar*",
        "zh": "校对|纠错|错别字|病句|语法",
        "ja": "添削|校正|誤字|脱字",
        "ko": "교정|맞춤법|띄어쓰기",
        "ar": "صحح|صحّح|تصحيح|الإملائية|النحوية",
    },
    "extract": {
        "en": "extract*|pull out|list every|list all",
        "es": "extrae|extraer|saca solo|sacame",
        "pt": "extrai|extraia|extrair|tira so",
        "fr": "releve|extrais|extraire",
        "de": "such mir|heraus|raus|extrahier*",
        "it": "estrai|estrarre",
        "ru": "вытащи|извлеки|выпиши",
        "hi": "निकाल कर|निकालो|छाँट*",
        "zh": "提取|找出来|摘出",
        "ja": "抜き出|抽出",
        "ko": "뽑아|추출",
        "ar": "استخرج",
    },
    "format": {
        "en": "reformat|reformatting|reformatted|convert*|turn this into|turn it into|turn these into"
              "|turn this list|turn that into|put this into|put these into|put it into|put them into|into a table"
              "|into a markdown table|as a table|as json|as csv|into json|into csv|into yaml|into bullets"
              "|bullet points|alphabeti*|sort these|sort this|sort them|dedupe|deduplicate|remove duplicates"
              "|transcrib*|transliterat*|format it|format this|format these|apa|mla|harvard style|vancouver style"
              "|chicago style|change these|change it to|round to|capitaliz*|capitalis*|lowercase|uppercase"
              "|as a list",
        "es": "en una tabla|en forma de tabla|en tabla|ordena*|formatea*|convertir|transcribe|transcribir"
              "|en viñetas|en vinetas|pasalo a|pasa esta|pasa este|convierte",
        "pt": "em tabela|numa tabela|em uma tabela|ordena*|formata*|converte|converta|converter|transcreve*"
              "|em topicos|em lista",
        "fr": "en tableau|sous forme de tableau|dans un tableau|trie|trier|convertis|convertir|transcris|transcrire"
              "|en points|en puces|mets-moi|mets-le|mets-la|mets-les",
        "de": "als tabelle|in eine tabelle|tabellarisch|sortier*|formatier*|umwandel*|wandel|konvertier*"
              "|transkribier*|in stichpunkten|stichpunkt*",
        "it": "in una tabella|in tabella|ordina*|formatta*|converti*|convertire|trascrivi*|in elenco|elenco puntato"
              "|metti",
        "ru": "в таблицу|в виде таблицы|таблиц*|оформи*|отсортируй*|конвертируй*|преобразуй*|списком",
        "hi": "टेबल में|तालिका|सूची बना",
        "zh": "做成表格|列成表|表格|排序|格式化|转换成|转换为|转成|转为|转写|整理成",
        "ja": "表にして|表に|並べ替え|並べて|整形|変換|文字起こし|箇条書き",
        "ko": "표로|정렬|형식으로|변환",
        "ar": "جدول|رتب|حوّل|حول هذا|حول هذه|رتّب",
    },
    "fix": {
        "en": "fix it|fix this|fix that|fix the bug|fix this bug|fix the error|fix the code|fix my code|correct it"
              "|make it return|make it raise|make it handle",
        "es": "arreglalo|arreglala|arregla el|corrige el error|corrigelo",
        "pt": "conserta|arruma|corrige o erro|corrige pra|corrige para",
        "fr": "corrige-la|corrige-le|corrige le bug|repare",
        "de": "behebe|beheb den|fix das|reparier*|mach bitte, dass",
        "it": "sistemala|sistemalo|correggi il bug|sistema il",
        "ru": "исправь, чтобы|исправь чтобы|почини",
        "hi": "ठीक कर दो|ठीक कर दीजिए|theek kar do",
        "zh": "帮我改一下|修一下|修复|修改一下",
        "ja": "直してください|修正して|直しておいて",
        "ko": "고쳐 주세요|고쳐줘|수정해 주세요",
        "ar": "أصلح|عدّلها|عدلها",
    },
    "rewrite": {
        "en": "rewrite|rewrites|rewriting|rephrase*|rephrasing|reword*|paraphras*|shorten*|tighten up|tighten it up"
              "|tighten this|tighten it|make it shorter|make this shorter|make it longer|make it sound"
              "|make this sound|make it more|make this more|make it less|make this less|make it readable|sound less"
              "|sound more|more polite|more formal|less formal|more professional|punch up|polish*|friendlier|warmer"
              "|nicer|softer|kinder|politer|less harsh|less blunt|less cold|less rude|more friendly|more casual"
              "|more concise|clearer|punchier|snappier|make this email|make this message|make this text"
              "|make this letter|make this paragraph|make my email|make my message|make this note",
        "es": "reescribe*|reescribir|reformula*|parafrasea*|acorta*|mas corto|mas formal|mas amable|mas educado"
              "|que suene",
        "pt": "reescreve*|reescrever|reformula*|parafraseia*|encurta*|mais curto|mais formal|mais educada"
              "|mais educado",
        "fr": "reformule*|reformuler|reecris|reecrire|paraphrase*|raccourcis|raccourcir|plus court|plus poli"
              "|plus polie|plus formel",
        "de": "formulier*|umformulier*|umschreib*|kurzer|kurzen|hoflicher|diplomatischer|formeller",
        "it": "riformula*|riscrivi*|riscrivere|parafrasa*|accorcia*|piu corto|piu gentile|piu formale",
        "ru": "перепиши|перепишите|переписать|переформулируй*|перефразируй*|сократи*|помягче|повежливее|вежливее"
              "|короче",
        "hi": "दोबारा लिख*|फिर से लिख*|ठीक कर*|बदल दो|विनम्र|छोटा कर*|theek kar*|chhota kar*|short kar*",
        "zh": "改写|改寫|改成|改得|润色|潤色|精简|简洁一点|缩短|压缩|改成正式|语气",
        "ja": "書き直|直して|直す|言い換え|短くして|短く|敬語に|丁寧に直",
        "ko": "줄여|고쳐|다듬어|바꿔|부드럽게|예의 바르게|공손하게",
        "ar": "أعد صياغ|اعد صياغ|إعادة صياغة|صياغة|اختصر|بطريقة ألطف|بأسلوب رسمي",
    },
}

MATERIAL = {  # a reference to the material supplied with the ask
    "en": "this email|this e-mail|this mail|this message|this text|this paragraph|this passage|this sentence"
          "|this letter|this article|this post|this bio|this notice|this note|this list|this table|this thread"
          "|this chat|this memo|this brief|this speech|this presentation|this slide|this announcement|this invoice"
          "|this abstract|this section|this quote|this excerpt|this transcript|this document|this doc|this draft"
          "|this paper|this report|this diff|this log|this code|this snippet|this function|this formula"
          "|this screenshot|this scan|this image|this photo|this file|this page|this card|as follows|below|above"
          "|pasted|attached|here's|here is|here are|these names|these notes|these lines|these items"
          "|these references|the text|the paragraph|the email|the letter|the abstract|the diff|the attached"
          "|the pasted|my draft|my cover letter|my essay|my cv|my resume|my bio|this into|it into|that into"
          "|the figures|the table|the following text|the following email|the following paragraph"
          "|the following passage|the following list|the following message|the following article"
          "|the following sentence*|the following code|the following into",
    "es": "este texto|este correo|este mail|este mensaje|este parrafo|este fragmento|este articulo|este documento"
          "|este informe|este codigo|esta lista|esta frase|esta tabla|esta carta|lo siguiente|siguiente"
          "|a continuacion|de abajo|abajo|adjunto|te adjunto|te paso|me lo|me la",
    "pt": "esse texto|este texto|essa mensagem|esta mensagem|esse recado|esse e-mail|este e-mail|esse paragrafo"
          "|este paragrafo|esse trecho|este trecho|essa frase|essa lista|esta lista|esse codigo|este codigo"
          "|desse texto|deste texto|o seguinte|seguinte|abaixo|em anexo|anexo|pra mim|para mim",
    "fr": "ce texte|ce message|ce mail|ce courriel|ce paragraphe|ce passage|cette phrase|cette liste|ce code"
          "|cet article|ce document|cette lettre|ce tableau|ci-dessous|ci-joint|suivant|suivante|le voici|me le"
          "|me la|de ce texte|dans ce texte",
    "de": "diese mail|diese e-mail|diese nachricht|diesen text|diesem text|dem text|den text|diesen abschnitt"
          "|diesen absatz|diesen satz|diese liste|diesen brief|diesen artikel|diesen code|diese datei|folgenden"
          "|folgende|folgendes|unten|anbei|im anhang|mir das|sie mir",
    "it": "questa mail|questa email|questo messaggio|questo testo|questo paragrafo|questa frase|questo elenco"
          "|questa lista|questo codice|questo articolo|questa lettera|questo documento|da questo testo|seguente"
          "|qui sotto|in allegato|me la|me lo",
    "ru": "это письмо|это сообщение|этот текст|этого текста|этом тексте|этот абзац|этом абзаце|эту фразу"
          "|этот список|этот код|эту статью|этот документ|следующ*|ниже|во вложении|прикреплён*|прикреплен*",
    "hi": "ये मैसेज|यह मैसेज|इस मैसेज|ये टेक्स्ट|यह टेक्स्ट|इस टेक्स्ट|इस पैराग्राफ|इस लेख|इस लिस्ट|इस सूची|इस पत्र"
          "|इस कोड|नीचे दिए|नीचे|इसे|is message|ye message|niche diya",
    "zh": "下面这段|下面这|以下这段|以下的|以下|下面的|如下|这段话|这段文字|这段|这篇|这封|这句话|这个表|这份|这张|附件|贴在下面",
    "ja": "以下の|下記の|この文章|この文|このメール|このメモ|この記事|このリスト|この表|この関数|このコード|次の|これを|貼り付け|添付",
    "ko": "아래 내용|아래 글|아래|다음 글|다음 내용|이 문자|이 메시지|이 메일|이 글|이 문장|이 코드|이 표|이 목록|위 내용|첨부",
    "ar": "هذه الرسالة|هذا النص|هذه الفقرة|هذه الجملة|هذه القائمة|هذا الإعلان|هذه الدالة|هذا الكود|هذا المقال"
          "|التالي|التالية|أدناه|المرفق",
}

LOOKUP = {  # a fact to look up
    "en": "what's the capital|what is the capital|the capital of|population of|the population|how tall|how high"
          "|how far|how long does it take|how long is the|how many calories|how many people|exchange rate"
          "|time difference|what time is it|what year did|what year was|who won|who is the ceo|who invented"
          "|who wrote|who directed|the doi|what's the flag|what is the flag|which flag|what's the command"
          "|the command for|the shortcut for|official figure|official data|official statistics|latest figure"
          "|latest data|look up|lookup|find the official|find the current|find the latest|find me the"
          "|give me the source|with the source|source link|the link to|how much does a|how much is a"
          "|roughly how many|when is|when was|when did|when does|when do the|define|definition of"
          "|what does the abbreviation",
    "es": "cual es la capital|cuanto se tarda|cuanto tarda|cuanto cuesta|cuanto vale|cuantos habitantes"
          "|dato oficial|el ultimo dato|busca el|buscame|el enlace|la fuente|cuando es|cuando fue|quien gano",
    "pt": "qual a capital|qual e a capital|quanto tempo leva|quanto custa|quantos habitantes|dado oficial"
          "|dado mais recente|procura o|procure o|o link|da fonte|quando e|quem ganhou",
    "fr": "quelle est la capitale|combien de temps|combien coute|combien d'habitants|chiffre officiel"
          "|dernier chiffre|trouve le|trouve-moi|le lien|la source|c'est quand|qui a gagne",
    "de": "wie lange braucht|wie lange dauert|was kostet|wie viel kostet|wie viele einwohner|wie hoch ist|finde die"
          "|finde den|such die|den link|link zur|die quelle|wann ist|wer hat gewonnen",
    "it": "quanto ci mette|quanto costa|quanti abitanti|trova l'ultimo|trova il|dato ufficiale|link alla fonte"
          "|la fonte|quando e|chi ha vinto",
    "ru": "сколько едет|сколько ехать|сколько стоит|сколько примерно|сколько жителей|найди последн*"
          "|найди официальн*|официальные данные|ссылку на источник|источник|когда будет|кто выиграл",
    "hi": "कितने घंटे|कितना समय|कितना किराया|किराया|कितनी है|जनसंख्या|ढूँढ कर|ढूंढ कर|सोर्स|लिंक भी|कब है"
          "|किसने जीता",
    "zh": "多长时间|多少钱|票价|查一下|查查|公布的|来源链接|附上来源|出处|是多少|几点|多高|多远|哪一年",
    "ja": "何時間|どのくらいかか|料金|いくら|調べて|出典|最新の|公式の|何年|何時",
    "ko": "몇 시간|요금|얼마|찾아서|찾아 줘|출처|링크|몇 년|몇 시",
    "ar": "كم تستغرق|كم سعر|كم عدد|ابحث عن آخر|رقم رسمي|الرقم الرسمي|رابط المصدر|المصدر|متى|من فاز",
}

CODE_TASK = {  # a specified piece of code
    "en": "write a function|write a bash|write a regex|write a script|write a query|write the sql|write a sql"
          "|write a class|write a test|write tests|write a unit test|a regex|regex that|one-liner|a function that"
          "|function that|a script that|a query that|sql query|the pattern|add a --|add a flag|add an option"
          "|with a test|regression test|type hints|docstring*|unit test for|a test for|a helper that",
    "es": "escribe una funcion|escribe un script|una funcion que|una consulta|una expresion regular|un test",
    "pt": "escreve uma funcao|escreva uma funcao|escreve um script|uma funcao|uma consulta|uma regex",
    "fr": "ecris une fonction|ecris une requete|une requete sql|une fonction qui|un script qui|une regex",
    "de": "schreib mir ein|schreib eine funktion|schreib ein skript|eine funktion|ein skript|eine regex",
    "it": "scrivi una funzione|scrivi uno script|una funzione|una query|una regex",
    "ru": "напиши функцию|функцию на|напиши скрипт|напиши запрос|регулярное выражение|регулярку",
    "hi": "function लिखो|फ़ंक्शन लिखो|function likho|script likho|स्क्रिप्ट लिखो|एक python function",
    "zh": "写一个函数|写个函数|写一个脚本|写个脚本|函数|脚本|sql 查询|sql查询|查询语句|正则",
    "ja": "関数を|関数|スクリプト|sql を書いて|sqlを書いて|正規表現",
    "ko": "함수 하나|함수를|짜 주세요|짜줘|스크립트|쿼리",
    "ar": "اكتب دالة|دالة بلغة|سكربت|استعلام",
}

CHORE = {  # a chore in the repository or on the machine
    "en": "rename*|renamed|bump*|version string|the version|update the imports|update imports|the imports"
          "|fix the imports|clean those up|clean up|clean it up|get rid of|sort that out|sort it out|tidy*"
          "|remove the|delete the|delete it|swap*|switch the|regenerat*|move the|its own module|their own module"
          "|make them pass|make it pass|passing again|goes green|go green|green again|lint|linter|unused imports"
          "|deprecation warning*|print statements|pre-commit|readme|changelog|classifiers|dockerfile|docker-compose"
          "|manifests|snapshot*|commit it|commit this|commit that|commit them|open the pr|open a pr|push it|push to"
          "|tag it|the branch|env var*|environment variable*|rerun|re-run|run the|port the|port these|upgrade the"
          "|pin the|unpin",
    "es": "renombra*|cambia el nombre|actualiza|haz que|elimina|borra|limpia|quita|sube la version|mueve|el readme"
          "|los tests|las pruebas|variable de entorno",
    "pt": "renomeia*|renomear|atualiza|atualize|remove|remova|apaga|limpa|junta|o readme|os testes"
          "|variavel de ambiente",
    "fr": "renomme*|supprime|regroupe|nettoie|mets a jour|relance|deplace|le readme|les tests"
          "|variable d'environnement",
    "de": "umbenenn*|benenne|raum auf|aufraumen|entfern*|losch*|verschieb*|aktualisier*|zieh hoch|hochziehen"
          "|imports|die tests|umgebungsvariable",
    "it": "rinomina*|elimina*|rimuovi|cancella|sposta|aggiorna|raccogli|la build|i test|variabile d'ambiente",
    "ru": "замени|убери|удали|переименуй|переименова*|обнови|перенеси|почисти|закоммить|коммит|тесты|сгенерируй",
    "hi": "बदल दो|हटा दो|hata do|badal do|नाम बदल|चेक करो|फिर से चलाओ|commit कर|push कर",
    "zh": "改名|改掉|顺手|删掉|删除|去掉|清理|处理一下|改一下|加上|依赖|跑通|重新跑|提交|合并|升级",
    "ja": "合わせて|そろえて|揃えて|削除|消して|名前を変え|リンク切れ|直しておいて|更新して|コミット",
    "ko": "맞춰 주세요|맞춰|통일해|지워|삭제|이름 바꿔|수정해|커밋|업데이트해",
    "ar": "حدّث|حدث كل|نظّف|نظف|احذف|غيّر اسم|غير اسم|الاختبارات تمر",
}

LIMITS = {  # the scope is fixed: nothing but the transformation
    "en": "nothing else|that's all|that is all|just the|just need|just give me|just list|only the|keep the"
          "|keep it under|keep it short|same meaning|same claims|same behaviour|same behavior|same flags"
          "|same output|same points|same tone|don't add|don't change|don't touch|don't rewrite|do not change"
          "|no commentary|no comments|no evaluation|without commentary|neutral tone|neutral summary|keep it neutral"
          "|as it is|as is|intact|exactly as written|word for word|verbatim|no opinion|don't judge",
    "es": "tal cual|sin añadir|sin anadir|sin comentarios|sin opinar|solo errores|solo los|no cambies|no toques"
          "|sin cambiar|nada mas|solo necesito|neutral|neutro",
    "pt": "sem comentarios|sem opinar|so os erros|nao muda|nao mude|sem mudar|so me|sem perder|neutra|neutro"
          "|tal como",
    "fr": "sans commentaire|sans prendre position|sans changer|sans rien changer|uniquement|juste|neutre|tel quel",
    "de": "ohne bewertung|ohne eigene meinung|ohne kommentar|nur die|nur rechtschreibung|nichts anderes|neutral*"
          "|unverandert",
    "it": "senza commenti|senza commentarlo|senza dire chi|solo gli errori|neutrale|senza cambiare|cosi com'e",
    "ru": "без комментариев|без оценки|не меняй|ничего не меняй|нейтральн*|только|дословно",
    "hi": "राय मत|मत बदल|मत जोड़|तटस्थ|बस|सिर्फ़|सिर्फ|केवल|kuch mat badal",
    "zh": "只要翻译|不用评价|不用分析|不要改|别改|只改|只需要|不要太长|别超过|就行|中立|原样",
    "ja": "評価は要らない|意見は入れない|だけ|客観的に|そのまま|変えないで",
    "ko": "빼고|만 부탁|바꾸지 말|판단하지 마|중립적으로|그대로|만 봐",
    "ar": "بدون أي تعليق|بدون تعليق|كما هي|دون أن تحكم|فقط|ولا تغيّر|لا تغير|محايد",
}

CREATIVE = {  # a creative piece
    "en": "story|stories|bedtime|fable|fairy tale|poem*|haiku*|sonnet*|limerick*|verse|lyrics|song|rhyming|rhyme"
          "|free-verse|short story|novel|tale|diary entry|speech|toast|best man|maid of honour|birthday message"
          "|greeting card|the card|jokes|joke|name ideas|names for|ideas for|itinerary|things to do"
          "|continue this story|give me ideas|some ideas|suggestions for|suggest some|activities|write me a"
          "|write a funny|write a short|write a poem|write a story|write lyrics|screenplay|script for a"
          "|dialogue between|slogan*|tagline*|caption*",
    "es": "cuento|cuentos|relato|poema|poesia|versos|cancion|letra de|discurso|brindis|chiste*|ideas para"
          "|nombres para|itinerario|escribeme un|escribeme una|escribe un cuento|escribe un poema",
    "pt": "historinha|historia|conto|poema|poesia|quadras|versos|cancao|musica sobre|discurso|piada*|roteiro"
          "|ideias de|ideias pra|nome pra|nomes pra|escreve uma|escreve um",
    "fr": "histoire|conte|nouvelle|poeme|poesie|alexandrins|vers|chanson|discours|blague*|idees de|noms pour"
          "|week-end de|itineraire|ecris-moi une|ecris-moi un",
    "de": "gutenachtgeschichte|geschichte|marchen|gedicht|reim*|lied|liedtext|rede|witz*|vorschlage|namen|reiseplan"
          "|plan mir|schreib eine|schreib mir",
    "it": "favola|fiaba|racconto|storia|poesia|versi|canzone|discorso|brindisi|barzellett*|idee di|nomi per"
          "|itinerario|organizzami|scrivimi una|scrivimi un",
    "ru": "сказк*|рассказ|историю про|стихотворен*|стихи|песн*|тост|речь|анекдот*|названи*|маршрут|сочини"
          "|напиши смешной|придумай",
    "hi": "कहानी|कविता|तुकबंदी|गीत|भाषण|चुटकुले|नाम सुझाओ|नाम|सफ़र|यात्रा प्लान|प्लान बना दो|kahani|kavita",
    "zh": "故事|睡前|诗|绝句|律诗|歌词|致辞|祝酒|店名|起名|取名|行程|小说|写一首|写一个关于|段子|笑话",
    "ja": "お話|物語|短編|小説|俳句|短歌|詩|歌詞|スピーチ|挨拶|名前の候補|名前|候補|スケジュール|旅程|ジョーク",
    "ko": "동화|이야기|소설|시 한 편|시를|가사|축사|건배사|이름 후보|이름|일정|여행 코스|농담",
    "ar": "قصة|قصيدة|شعر|أغنية|كلمة قصيرة|كلمة مؤثرة|خطاب|نكتة|أسماء|اسم|خطط لي رحلة|رحلة لمدة|برنامج رحلة",
}

EXPLAIN = {  # a settled explanation, for someone
    "en": "explain*|how does|how did|how do they|how do you say|why do we|why does the|why is the|walk me through"
          "|teach me|overview|what's the difference|what is the difference|difference between|differs from"
          "|under the hood|in simple terms|simply|simple terms|simple language|for a general audience|for my notes"
          "|study notes|like you would for|like i'm five|eli5|for beginners|textbook|for a class|my daughter|my son"
          "|my kid|my kids|years old|year old|asked me|always wondered|curious|explainer|general overview"
          "|the basics|not a thesis|the story behind|what actually happens|how it works|how they work"
          "|the history of|walkthrough|walk-through|give me a tour|onboard*|for the intern|for newcomers|primer"
          "|crash course|homework|school project|for school|for my exam|exam|quiz|revision notes",
    "es": "explicas|explicame|explicar|como funciona|como funcionan|que diferencia|diferencia entre|sin tecnicismos"
          "|de forma sencilla|en palabras sencillas|un ejemplo sencillo|como se formo|como se formaron|me pregunto"
          "|me lo pregunto|la historia de|tarea|deberes|examen",
    "pt": "como funciona|como funcionam|explica|explicar|me explicar|de um jeito simples|bem simples|o que foi"
          "|o que e|a historia|diferenca entre|perguntou|dever de casa|prova|trabalho da escola",
    "fr": "comment fonctionne|comment fonctionnent|explique|expliquer|simplement|un exemple concret|c'etait quoi"
          "|c'est quoi|comprendre|la difference entre|l'histoire de|devoirs|expose|examen",
    "de": "wie funktioniert|wie funktionieren|erklar*|was ist eigentlich|was war eigentlich|uberblick"
          "|einfach erklart|unterschied zwischen|wollen das wissen|verstehen|hausaufgabe*|referat|prufung",
    "it": "come si formano|come funziona|spiegami|mi spieghi|spiegare|in modo semplice|che cos'e|in breve"
          "|un esempio semplice|differenza tra|capire|compiti|esame|verifica",
    "ru": "почему небо|объясни|объяснить|на простом примере|простыми словами|что такое|вкратце|чем отличается"
          "|как работает|как устроен|понять|историю|домашн*|экзамен*|реферат",
    "hi": "कैसे बनता|कैसे काम करता|समझाओ|समझाइए|आसान भाषा|आसान उदाहरण|कैसे हुई|क्या होता है|क्या है|इतिहास|samjhao"
          "|kaise kaam|होमवर्क|परीक्षा",
    "zh": "为什么天空|解释一下|解释|讲讲|讲一下|介绍一下|简单介绍|到底是什么|是什么|能听懂|听得懂|背景|搞懂|原理|区别|举个简单的例子|科普|作业|考试|手抄报",
    "ja": "どうして|なぜ|仕組み|説明して|説明|何が違う|違い|歴史|わかるように|分かるように|簡単な例|教えて|宿題|試験|自由研究",
    "ko": "설명해|설명|쉽게|뭐가 다른|달랐|차이|흐름|정확히 뭔지|예제|역사|원리|숙제|과제",
    "ar": "كيف يتكون|كيف يعمل|اشرح|شرح|شرحا|شرحاً|واجب|امتحان|بسيط|بطريقة بسيطة|كيف قامت|قصة مختصرة|ما الفرق|تاريخ",
}

RECIPE = {  # something to cook
    "en": "recipe*|for dinner|dinner tonight|for lunch|lunches|for breakfast|dough|loaf|how to bake|bake a"
          "|what to cook|what can i cook|what should i cook|how to cook|how do i cook|ingredients|meal prep|a menu",
    "es": "receta|cena|comida|almuerzo|cocinar|ingredientes",
    "pt": "receita|almoco|jantar|cozinhar|ingredientes",
    "fr": "recette|diner|dejeuner|cuisiner|ingredients",
    "de": "rezept|kochen|abendessen|mittagessen|zutaten",
    "it": "ricetta|cena|pranzo|cucinare|ingredienti",
    "ru": "рецепт|приготовить|ужин|обед|ингредиент*",
    "hi": "रेसिपी|खाना|खाने|सब्ज़ी|बनाने की विधि",
    "zh": "做法|家常菜|菜谱|食谱|怎么做|下饭|晚饭|午饭",
    "ja": "レシピ|晩ごはん|夕食|おかず|作り方|料理",
    "ko": "레시피|찌개|요리|저녁|반찬",
    "ar": "وصفة|طبق|أطبخ|طبخ|عشاء|غداء",
}

ROLEPLAY = {  # play a part
    "en": "let's play|pretend you are|pretend you're|pretend to be|act as|you're a|you are a|you're an|you are an"
          "|pretend we're|pretend we are|let's pretend|imagine you're|stay in character|in character|role-play"
          "|roleplay|role play|be my|break character|conversation partner|you talk first|you go first"
          "|mock interview|mock negotiation|stay in role",
    "es": "juguemos|juego de rol|tu eres un|tu eres una|haz de|finge que|no salgas del personaje|personaje",
    "pt": "vamos brincar|vamos fazer um teatrinho|voce e um|voce e uma|finja que|personagem",
    "fr": "jeu de role|tu es un|tu es une|fais semblant|personnage",
    "de": "rollenspiel|du bist ein|du bist eine|tu so als|bleib in der rolle",
    "it": "gioco di ruolo|tu sei un|tu sei una|fai finta|personaggio",
    "ru": "давай поиграем|ролевая игра|ты —|ты старый|представь, что ты|не выходи из роли|в роли",
    "hi": "खेल खेलते|तुम एक|तुम पुरानी|किरदार|रोलप्ले",
    "zh": "角色扮演|你是一|你来扮演|保持角色|扮演",
    "ja": "ロールプレイ|なりきって|あなたは|役から|役を",
    "ko": "역할극|당신은|너는|캐릭터|역할",
    "ar": "خلينا نلعب|لنلعب|أنت بائع|تقمص|الشخصية|دور",
}

CHAT = {  # sharing, small talk
    "en": "lol|haha|hahaha|omg|finally|just got back|just finished|i need to tell someone|tell me something fun"
          "|fun fact|so bored|how's your day|how is your day|ugh|yay|guess what|cheers|so happy|so proud|so tired"
          "|can't believe",
    "es": "por fin|jaja|jajaja|estoy feliz|que emocion|te cuento",
    "pt": "kkk|kkkk|acabei de|que noite|finalmente|to feliz|estou feliz",
    "fr": "haha|je reviens|je rigole|je voulais juste|trop content|trop contente|enfin",
    "de": "endlich|haha|wollte das einfach|erzahlen|so gluecklich",
    "it": "finalmente|ahah|felicissim*|che bello",
    "ru": "наконец-то|наконец|ха-ха|хаха|делюсь|ура",
    "hi": "आज पहली बार|मज़ा आ गया|बस ऐसे ही|हाहा|आखिरकार",
    "zh": "终于|哈哈|开心|太好了|激动",
    "ja": "やっと|笑|泣いて|嬉しい|うれしい",
    "ko": "드디어|ㅋㅋ|ㅎㅎ|신나|행복",
    "ar": "أخيراً|اخيرا|مبسوط|سؤال عفوي|هههه",
}
